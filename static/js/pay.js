// The pay page: Stripe's Payment Element (cards and the wallets the account enables), confirmed
// with stripe.confirmPayment(); or, where the page says so (the local fake Stripe has no Payment
// Element), the Card Element with stripe.confirmCardPayment().
// The order becomes paid when Stripe's webhook reaches the server, not when this script says
// so: after a confirmation the buyer is sent to the order's page, which shows the payment.
(function () {
  'use strict';
  const form = document.getElementById('pay-form');
  if (!form || typeof Stripe === 'undefined') {
    return;
  }
  const locale = document.documentElement.lang === 'en' ? 'en' : 'zh';
  const stripe = Stripe(form.dataset.publishableKey, {locale: locale});
  const clientSecret = form.dataset.clientSecret;
  // Wallets such as Alipay leave the page and come back here; Stripe needs an absolute address.
  const returnUrl = new URL(form.dataset.returnUrl, window.location.href).href;
  const button = document.getElementById('pay-button');
  const error = document.getElementById('pay-error');
  const show = function (message) {
    error.textContent = message || '';
    error.hidden = !message;
  };

  let confirm;
  if (form.dataset.element === 'card') {
    const card = stripe.elements().create('card');
    card.mount('#card-element');
    card.on('change', function (event) {
      show(event && event.error ? event.error.message : '');
    });
    confirm = function () {
      return stripe.confirmCardPayment(clientSecret, {payment_method: {card: card}});
    };
  } else {
    const elements = stripe.elements({clientSecret: clientSecret, locale: locale});
    elements.create('payment').mount('#payment-element');
    // Cards confirm in place (then this script goes to the order page); redirect-based methods
    // (Alipay, WeChat Pay) go through their own page and come back to returnUrl.
    confirm = function () {
      return stripe.confirmPayment({
        elements: elements,
        confirmParams: {return_url: returnUrl},
        redirect: 'if_required',
      });
    };
  }
  button.disabled = false;

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    show('');
    let result;
    try {
      result = await confirm();
    } catch (err) {
      result = {error: err};
    }
    if (!result || result.error) {
      const reason = result && result.error && result.error.message;
      show(reason || form.dataset.messageFailed);
      button.disabled = false;
      return;
    }
    window.location.assign(returnUrl);
  });
})();
