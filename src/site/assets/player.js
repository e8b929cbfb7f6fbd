// podmark player: chapter links that seek, the current chapter marked, #t= links and the Media
// Session API. No framework, no requests beyond the page's own audio. Without this script every
// chapter link still opens the audio at its time (Media Fragments, `audio.mp3#t=1400.151`).
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  var article = document.querySelector("article.episode");
  if (!audio || !article) return;
  var chapters = Array.prototype.slice.call(document.querySelectorAll("a.ch[data-t]"));
  var starts = chapters.map(function (a) { return parseFloat(a.getAttribute("data-t")); });
  var titles = chapters.map(function (a) { var t = a.querySelector(".title"); return t ? t.textContent : a.textContent; });
  var now = document.getElementById("now");
  var status = document.getElementById("status");
  var episode = article.getAttribute("data-episode") || document.title;
  var show = article.getAttribute("data-show") || "";
  var art = article.getAttribute("data-art");
  var current = -1;

  // "1400", "1400.151", "23:20", "1:23:20", "npt:23:20" → seconds (NaN when not a time).
  function parseTime(text) {
    var parts = String(text).replace(/^npt:/, "").split(",")[0].split(":");
    if (parts.length > 3) return NaN;
    var secs = 0;
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) return NaN;
      secs = secs * 60 + parseFloat(parts[i]);
    }
    return secs;
  }
  function clock(secs) {
    var s = Math.floor(secs), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    var mm = (h > 0 && m < 10 ? "0" : "") + m, ss = (r < 10 ? "0" : "") + r;
    return (h > 0 ? h + ":" : "") + mm + ":" + ss;
  }
  function say(text) { if (status) status.textContent = text; }

  function whenReady(fn) {
    if (audio.readyState >= 1) fn();
    else audio.addEventListener("loadedmetadata", fn, { once: true });
  }
  function seek(secs, play) {
    whenReady(function () {
      audio.currentTime = secs;
      update();
    });
    if (play) {
      var p = audio.play();
      if (p && p.catch) p.catch(function () { say("Press play to listen from " + clock(secs) + "."); });
    }
  }

  function chapterAt(t) {
    var i = -1;
    for (var k = 0; k < starts.length; k++) if (starts[k] <= t + 0.05) i = k;
    return i;
  }
  function update() {
    var i = chapterAt(audio.currentTime);
    if (i === current) return;
    if (current >= 0 && chapters[current]) chapters[current].removeAttribute("aria-current");
    current = i;
    if (i >= 0) chapters[i].setAttribute("aria-current", "true");
    if (now) now.textContent = i >= 0 ? titles[i] : "";
    if (prev) prev.disabled = i <= 0 && audio.currentTime < 3;
    if (next) next.disabled = i >= starts.length - 1;
    metadata();
  }

  // Media Session: the OS controls show the episode and chapter and skip between chapters.
  var session = "mediaSession" in navigator ? navigator.mediaSession : null;
  function metadata() {
    if (!session || typeof MediaMetadata === "undefined") return;
    var artwork = art ? [{ src: new URL(art, location.href).href, sizes: "1400x1400" }] : [];
    session.metadata = new MediaMetadata({
      title: current >= 0 ? titles[current] : episode,
      artist: show,
      album: episode,
      artwork: artwork
    });
  }
  function action(name, fn) { try { session.setActionHandler(name, fn); } catch (e) { /* not supported */ } }
  function previous() {
    var i = chapterAt(audio.currentTime);
    var target = i > 0 && audio.currentTime - starts[i] < 3 ? starts[i - 1] : (i >= 0 ? starts[i] : 0);
    seek(target, !audio.paused);
  }
  function following() {
    var i = chapterAt(audio.currentTime);
    if (i + 1 < starts.length) seek(starts[i + 1], !audio.paused);
  }
  if (session) {
    action("play", function () { audio.play(); });
    action("pause", function () { audio.pause(); });
    action("seekto", function (d) { if (d.seekTime != null) seek(d.seekTime, false); });
    action("seekbackward", function (d) { seek(Math.max(0, audio.currentTime - (d.seekOffset || 15)), false); });
    action("seekforward", function (d) { seek(audio.currentTime + (d.seekOffset || 30), false); });
    if (starts.length) {
      action("previoustrack", previous);
      action("nexttrack", following);
    }
  }

  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var share = document.getElementById("share");
  [prev, next, share].forEach(function (b) { if (b) b.hidden = false; });
  if (prev) prev.addEventListener("click", previous);
  if (next) next.addEventListener("click", following);
  if (share) share.addEventListener("click", function () {
    var link = location.href.split("#")[0] + "#t=" + Math.floor(audio.currentTime);
    var done = function () { say("Link copied: " + link); };
    var shown = function () { say("Share this link: " + link); };
    // The link is shown at once; "copied" once the clipboard (which may ask, or refuse) took it.
    shown();
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(link).then(done, shown);
  });

  // Chapter and transcript links seek the player instead of opening the audio file.
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[data-t]") : null;
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    var t = parseFloat(a.getAttribute("data-t"));
    if (isNaN(t)) return;
    e.preventDefault();
    seek(t, true);
  });

  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (n) { audio.addEventListener(n, update); });

  // #t=1400 or #t=23:20 in the page's address: start there.
  function fromHash() {
    var m = /(?:^#|&)t=([^&]+)/.exec(location.hash);
    if (!m) return;
    var t = parseTime(decodeURIComponent(m[1]));
    if (!isNaN(t)) {
      seek(t, false);
      say("Starts at " + clock(t) + ". Press play to listen.");
    }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  metadata();
})();
