// Print page of an official document (templates/documents/print.html): print the framed PDF
// with one click, and open the print dialog by itself when the page was opened to print.
(function () {
  "use strict";
  var frame = document.getElementById("document-frame");
  var button = document.getElementById("document-print-button");
  if (!frame) { return; }

  function printDocument() {
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch (error) {
      // A viewer that refuses scripted printing: open the PDF, its own print button works.
      window.open(frame.src, "_blank", "noopener");
    }
  }

  if (button) { button.addEventListener("click", printDocument); }
  if (frame.getAttribute("data-autoprint") === "1") {
    frame.addEventListener("load", function () { window.setTimeout(printDocument, 400); });
  }
}());
