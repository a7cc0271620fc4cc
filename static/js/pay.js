// The pay page: Stripe's Card Element, confirmed with stripe.confirmCardPayment() on submit.
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
  const card = stripe.elements().create('card');
  card.mount('#card-element');
  const button = document.getElementById('pay-button');
  const error = document.getElementById('pay-error');
  const show = function (message) {
    error.textContent = message || '';
    error.hidden = !message;
  };
  card.on('change', function (event) {
    show(event && event.error ? event.error.message : '');
  });
  button.disabled = false;

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    show('');
    let result;
    try {
      result = await stripe.confirmCardPayment(form.dataset.clientSecret, {
        payment_method: {card: card},
      });
    } catch (err) {
      result = {error: err};
    }
    if (!result || result.error) {
      const reason = result && result.error && result.error.message;
      show(reason || form.dataset.messageFailed);
      button.disabled = false;
      return;
    }
    window.location.assign(form.dataset.returnUrl);
  });
})();
