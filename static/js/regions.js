// Cascading province → city → county selects (templates/_partials/regions.html): each choice
// loads the next list from the regions API in place, so nothing typed in the form is lost.
// A list of one (a municipality's 市辖区, 东莞市) is chosen at once. Without this script the
// form's own "update" button does the same through the server. Every change of the county
// (also to none) is announced with a bubbling `regions:change` event, {county: code or ''}.
(function () {
  'use strict';

  function reset(select) {
    // Keep the placeholder option ("请选择…"), drop the rest.
    while (select.options.length > 1) {
      select.remove(1);
    }
    select.value = '';
  }

  function fill(select, items) {
    reset(select);
    items.forEach(function (item) {
      select.add(new Option(item.name, item.code));
    });
    if (items.length === 1) {
      select.value = items[0].code;
    }
  }

  async function load(url) {
    const response = await fetch(url, {headers: {Accept: 'application/json'}});
    if (!response.ok) {
      throw new Error('regions: ' + response.status);
    }
    return response.json();
  }

  function init(box) {
    const province = box.querySelector('[data-region="province"]');
    const prefecture = box.querySelector('[data-region="prefecture"]');
    const county = box.querySelector('[data-region="county"]');
    const failed = box.querySelector('[data-region-error]');
    const refresh = box.querySelector('[data-region-refresh]');
    if (!province || !prefecture || !county) {
      return;
    }
    // The lists follow the choices from now on: the server round trip is not needed.
    if (refresh) {
      refresh.remove();
    }
    let generation = 0; // an answer to an older choice must not overwrite a newer one

    const announce = function () {
      box.dispatchEvent(new CustomEvent('regions:change', {bubbles: true, detail: {county: county.value}}));
    };
    const fail = function () {
      // Back to the server's way of listing them.
      if (refresh && !refresh.isConnected) {
        box.insertBefore(refresh, failed);
      }
      if (failed) {
        failed.hidden = false;
      }
    };

    const loadCounties = async function (turn) {
      reset(county);
      if (prefecture.value) {
        const page = await load('/api/v1/regions/counties?per_page=200&prefecture=' + encodeURIComponent(prefecture.value));
        if (turn !== generation) {
          return;
        }
        fill(county, page.items);
      }
      announce();
    };

    province.addEventListener('change', async function () {
      const turn = ++generation;
      reset(prefecture);
      reset(county);
      announce();
      if (!province.value) {
        return;
      }
      try {
        const items = await load('/api/v1/regions/prefectures?province=' + encodeURIComponent(province.value));
        if (turn !== generation) {
          return;
        }
        fill(prefecture, items);
        if (prefecture.value) {
          await loadCounties(turn);
        }
      } catch (err) {
        fail();
      }
    });

    prefecture.addEventListener('change', async function () {
      const turn = ++generation;
      try {
        await loadCounties(turn);
      } catch (err) {
        fail();
      }
    });

    county.addEventListener('change', announce);
  }

  document.querySelectorAll('[data-regions]').forEach(init);
})();
