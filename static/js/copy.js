// Copy buttons (templates/payment/_bank_details.html): a button names the element whose text
// it copies. They stay hidden where the browser cannot copy (no Clipboard API outside a
// secure context): the values remain plain text to select.
(function () {
  'use strict';
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    const target = document.getElementById(button.dataset.copy);
    if (!target) {
      return;
    }
    const label = button.textContent;
    let timer = null;
    button.hidden = false;
    button.addEventListener('click', async function () {
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
      } catch (err) {
        return; // refused (permissions): the text is still there to select
      }
      button.textContent = button.dataset.copiedText || label;
      button.setAttribute('data-copied', '');
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        button.textContent = label;
        button.removeAttribute('data-copied');
      }, 2000);
    });
  });
})();
