"use strict";
// The consent banner: nothing optional is set before a choice; Global Privacy Control wins.
(function () {
  function cookie(name) {
    const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
  }

  // Served over HTTPS the server names it "__Host-rf_consent" (ringfence/http/cookies.py).
  function consentCookie() {
    const secure = cookie("__Host-rf_consent");
    return secure !== null ? secure : cookie("rf_consent");
  }

  function granted(purpose) {
    const value = consentCookie();
    if (!value) return false;
    return value.split(".").some((pair) => pair === purpose + ":1");
  }

  window.ringfence = { consent: granted };

  document.addEventListener("DOMContentLoaded", () => {
    const banner = document.getElementById("consent-banner");
    if (!banner) return;
    if (banner.dataset.gpc === "1") {
      banner.querySelector(".gpc-notice").hidden = false;
      banner.querySelector(".choices").hidden = true;
      banner.hidden = false;
      return;
    }
    if (consentCookie() !== null) return;
    banner.hidden = false;

    async function choose(preferences, method) {
      const resp = await fetch("/privacy/consent", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          choices: { preferences: preferences, sale_sharing: false },
          method: method,
          service: banner.dataset.service,
        }),
      });
      if (resp.ok) {
        banner.hidden = true;
        document.dispatchEvent(new CustomEvent("ringfence:consent"));
      }
    }

    banner.querySelector("[data-consent=accept]").addEventListener("click", () => choose(true, "banner"));
    banner.querySelector("[data-consent=decline]").addEventListener("click", () => choose(false, "banner"));
    banner.querySelector("[data-consent=save]").addEventListener("click", () =>
      choose(banner.querySelector("input[name=preferences]").checked, "manage")
    );
  });
})();
