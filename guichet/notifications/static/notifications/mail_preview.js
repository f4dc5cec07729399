// The mail template preview: the HTML mail's frame grows to the mail's height, so that the whole
// mail shows, its last line included, without a scroll bar of its own. The frame is sandboxed
// without scripts but same-origin, so that this script may measure it. Without the script it
// keeps its height from the page's style.
"use strict";
(function () {
  function fit(frame) {
    const root = frame.contentDocument && frame.contentDocument.documentElement;
    if (!root) {
      return;
    }
    // Shrink first: in a frame taller than the mail, scrollHeight is the frame's height.
    frame.style.height = "0";
    frame.style.height = root.scrollHeight + "px";
    // A horizontal scroll bar, if any, takes height from the frame's window.
    const hidden = root.scrollHeight - root.clientHeight;
    if (hidden > 0) {
      frame.style.height = root.scrollHeight + hidden + "px";
    }
  }

  function fitAll() {
    document.querySelectorAll("iframe[data-fit-content]").forEach(fit);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("iframe[data-fit-content]").forEach(function (frame) {
      // After the mail's images, which change its height.
      frame.addEventListener("load", function () {
        fit(frame);
      });
      if (frame.contentDocument && frame.contentDocument.readyState === "complete") {
        fit(frame);
      }
    });
    // A narrower window wraps the mail's lines: taller.
    window.addEventListener("resize", fitAll);
  });
})();
