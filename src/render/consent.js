// `--render-consent accept`: consent through the consent managers on the page, by their
// documented APIs where present, else by clicking their "accept all" control. Returns the names
// of the managers accepted through, comma-separated.
(function () {
  var done = [];
  function click(root, selector) {
    var el = root && root.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  try {
    if (window.OneTrust && typeof window.OneTrust.AllowAll === 'function') { window.OneTrust.AllowAll(); done.push('onetrust'); }
    else if (click(document, '#onetrust-accept-btn-handler')) done.push('onetrust');
  } catch (e) {}
  try {
    if (window.Cookiebot && typeof window.Cookiebot.submitCustomConsent === 'function') { window.Cookiebot.submitCustomConsent(true, true, true); done.push('cookiebot'); }
    else if (click(document, '#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, #CybotCookiebotDialogBodyButtonAccept')) done.push('cookiebot');
  } catch (e) {}
  try {
    if (window.UC_UI && typeof window.UC_UI.acceptAllConsents === 'function') { window.UC_UI.acceptAllConsents(); done.push('usercentrics'); }
    else {
      var root = document.querySelector('#usercentrics-root');
      if (click(root && root.shadowRoot, '[data-testid="uc-accept-all-button"]')) done.push('usercentrics');
    }
  } catch (e) {}
  return done.join(',');
})()
