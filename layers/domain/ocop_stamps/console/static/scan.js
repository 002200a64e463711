/* The console's one script (issue 15, docs/CONSOLE.md): fill code fields from the phone camera --
   the activation form's first and last code (one code each: the camera stops at the read), and
   the lists of codes of the field check and of void-by-code (a button with data-append: each new
   code is added as a line of the textarea and the camera goes on until stopped). Progressive
   enhancement: the forms work without it (codes typed or pasted); the scan buttons stay hidden
   unless the camera can be asked for.
   Reads QR codes with the browser's BarcodeDetector where it has one that knows QR, else with
   the vendored jsQR (/console/static/jsqr.js, loaded only then). Served by the console under
   `script-src 'self'`: no inline code, no eval, nothing from another host. */
(function () {
  "use strict";
  var box = document.getElementById("camera");
  if (!box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var video = document.getElementById("camera-video");
  var stopButton = document.getElementById("camera-stop");
  var status = document.getElementById("camera-status");
  var said = box.dataset;
  var stream = null;
  var timer = null;
  var reader = null;
  var target = null;
  var warnedSame = false;
  var canvas = document.createElement("canvas");

  /* The code inside what a QR holds: a label URL {base}/v/{code}, a GS1 Digital Link
     {base}/01/{gtin}/21/{code}, {base}/v?code={code}; anything else as it is. The server
     reads it again (codes.typed.unwrap), so this only keeps the field short and readable. */
  function codeOf(text) {
    var m = /\/v\/([^\/?#]+)/.exec(text) || /\/21\/([^\/?#]+)/.exec(text) || /[?&]code=([^&#]+)/.exec(text);
    var raw = m ? m[1] : text;
    try {
      raw = decodeURIComponent(raw);
    } catch (e) {
      /* a stray % stays as it was */
    }
    return raw.trim();
  }

  function say(text) {
    status.textContent = text;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function stop() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    box.hidden = true;
  }

  /* A list field (data-append): a code not yet in it becomes a new line; the camera goes on. */
  function added(code) {
    var field = document.getElementById(target.field);
    var lines = field.value.split(/[\n,;]+/).map(function (line) {
      return line.trim();
    }).filter(Boolean);
    var known = lines.some(function (line) {
      return codeOf(line).toUpperCase() === code.toUpperCase();
    });
    if (!known) {
      lines.push(code);
      field.value = lines.join("\n") + "\n";
      field.removeAttribute("aria-invalid");
      say(fill(said.read, { which: target.which, code: code, n: String(lines.length) }));
    }
    return false; /* keep looking for the next label */
  }

  function found(text) {
    var code = codeOf(text);
    if (target.append) {
      return added(code);
    }
    var field = document.getElementById(target.field);
    var other = target.other ? document.getElementById(target.other) : null;
    if (other && other.value && codeOf(other.value).toUpperCase() === code.toUpperCase()) {
      if (!warnedSame) {
        say(target.same);
        warnedSame = true;
      }
      return false; /* the other end's label is still in view: keep looking */
    }
    field.value = code;
    field.removeAttribute("aria-invalid");
    stop();
    say(fill(said.read, { which: target.which, code: code }));
    target.button.focus();
    return true;
  }

  function detectorReader() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return function () {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    };
  }

  function jsqrReader() {
    return function () {
      var w = video.videoWidth;
      var h = video.videoHeight;
      if (!w || !h) {
        return Promise.resolve(null);
      }
      canvas.width = w;
      canvas.height = h;
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, w, h);
      var image = ctx.getImageData(0, 0, w, h);
      var qr = window.jsQR(image.data, w, h, { inversionAttempts: "dontInvert" });
      return Promise.resolve(qr ? qr.data : null);
    };
  }

  function loadJsqr() {
    if (window.jsQR) {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = said.decoder;
      s.onload = resolve;
      s.onerror = function () {
        reject(new Error("decoder"));
      };
      document.head.appendChild(s);
    });
  }

  /* BarcodeDetector where it exists and lists qr_code among its formats; otherwise jsQR. */
  function chooseReader() {
    if (reader) {
      return Promise.resolve(reader);
    }
    var native = "BarcodeDetector" in window
      ? window.BarcodeDetector.getSupportedFormats().then(
          function (formats) {
            return formats.indexOf("qr_code") >= 0;
          },
          function () {
            return false;
          }
        )
      : Promise.resolve(false);
    return native.then(function (ok) {
      if (ok) {
        box.dataset.reader = "barcode-detector";
        return detectorReader();
      }
      return loadJsqr().then(function () {
        box.dataset.reader = "jsqr";
        return jsqrReader();
      });
    }).then(function (chosen) {
      reader = chosen;
      return chosen;
    });
  }

  function look() {
    timer = null;
    if (!stream) {
      return;
    }
    reader().then(
      function (text) {
        if (!stream) {
          return;
        }
        if (!(text && found(text))) {
          timer = setTimeout(look, 120);
        }
      },
      function () {
        timer = setTimeout(look, 250);
      }
    );
  }

  function start(button) {
    stop();
    warnedSame = false;
    target = {
      button: button,
      field: button.dataset.field,
      other: button.dataset.other,
      which: button.dataset.which,
      same: button.dataset.same,
      append: button.dataset.append === "1"
    };
    box.hidden = false;
    say(fill(said.on, { which: target.which }));
    chooseReader()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        return video.play();
      })
      .then(look)
      .catch(function (err) {
        stop();
        say(fill(said.fail, { why: (err && err.name) || "Error" }));
        button.focus();
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-field]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      start(button);
    });
  });
  stopButton.addEventListener("click", function () {
    stop();
    say(said.stopped);
    if (target) {
      target.button.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && stream) {
      stopButton.click();
    }
  });
  window.addEventListener("pagehide", stop);
})();
