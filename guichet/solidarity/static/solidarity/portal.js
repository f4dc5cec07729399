/* The solidarity portal where JavaScript runs; every page works without it.
   - "Réserver" opens the booking page's form in a modal <dialog>: the same server-rendered
     form, fetched, each of its buttons posted with fetch and the answer shown in place.
   - The result page of a booking starts the invitations' download once. */
(function () {
  "use strict";

  var DIALOG_HEADER = { "X-Booking-Dialog": "1" };

  function bookingDialog(links) {
    var dialog = document.createElement("dialog");
    dialog.className = "booking-dialog";
    dialog.setAttribute("aria-labelledby", "booking-title");
    document.body.appendChild(dialog);
    var opener = null;

    function fallback(url) {
      window.location.assign(url);
    }

    // The fetched page's booking part and its messages (refusals included), or null.
    function panelOf(html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var panel = page.querySelector("[data-booking-panel]");
      if (!panel) {
        return null;
      }
      var messages = page.querySelector(".portal-messages");
      if (messages) {
        messages.setAttribute("tabindex", "-1");
        panel.querySelector("h1").after(messages);
      }
      return document.importNode(panel, true);
    }

    function show(panel, submitter) {
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link-button booking-dialog__close";
      close.textContent = "Fermer";
      close.addEventListener("click", function () {
        dialog.close();
      });
      dialog.replaceChildren(close, panel);
      panel.querySelector("form").addEventListener("submit", submit);
      if (!dialog.open) {
        dialog.showModal();
      }
      focusAfter(panel, submitter);
    }

    // Where the focus goes once the dialog shows the server's answer: a refusal first, then
    // what the button changed (the search results, the list of people), else the first field.
    function focusAfter(panel, submitter) {
      var target =
        panel.querySelector(".portal-messages") || panel.querySelector("[data-error-summary]");
      if (!target && submitter && submitter.name === "search") {
        target = panel.querySelector(
          "[aria-labelledby=add-title] :is(.choices button, [role=status])"
        );
      } else if (!target && submitter) {
        target = panel.querySelector("#lines-title");
      }
      (target || panel.querySelector("#id_q") || panel.querySelector("#booking-title")).focus();
    }

    function load(url, options, submitter) {
      options.credentials = "same-origin";
      options.headers = DIALOG_HEADER;
      return fetch(url, options)
        .then(function (response) {
          var next = response.headers.get("X-Booking-Location");
          if (next) {
            window.location.assign(next);
            return null;
          }
          if (!response.ok || response.redirected) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          var panel = panelOf(html);
          if (!panel) {
            throw new Error("no booking form");
          }
          show(panel, submitter);
        });
    }

    function submit(event) {
      event.preventDefault();
      var form = event.target;
      var submitter = event.submitter;
      var data = new FormData(form);
      if (submitter && submitter.name) {
        data.append(submitter.name, submitter.value);
      }
      var busy = form.querySelectorAll("button");
      busy.forEach(function (button) {
        button.disabled = true;
      });
      // Anything unexpected: the same form, posted as a page.
      load(form.action, { method: "POST", body: data }, submitter).catch(function () {
        form.removeEventListener("submit", submit);
        busy.forEach(function (button) {
          button.disabled = false;
        });
        form.requestSubmit(submitter);
      });
    }

    dialog.addEventListener("close", function () {
      dialog.replaceChildren();
      if (opener) {
        opener.focus();
        opener = null;
      }
    });

    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
          return; // a new tab or window: the page
        }
        event.preventDefault();
        opener = link;
        load(link.href, { method: "GET" }, null).catch(function () {
          fallback(link.href);
        });
      });
    });
  }

  function invitationsDownload(link, notice) {
    notice.textContent = notice.getAttribute("data-download-notice");
    // Once: a reload or a return to this page shows the booking without downloading again.
    var url = new URL(window.location.href);
    url.searchParams.delete("resultat");
    window.history.replaceState(window.history.state, "", url);
    link.click();
  }

  var links = document.querySelectorAll("a[data-booking-dialog]");
  if (links.length && window.HTMLDialogElement && window.fetch) {
    bookingDialog(links);
  }
  var download = document.querySelector("[data-download-start]");
  var notice = document.querySelector("[data-download-notice]");
  if (download && notice) {
    invitationsDownload(download, notice);
  }
})();
