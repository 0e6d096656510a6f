#!/usr/bin/env python3
"""Drives the web app in headless Chromium against a running `veza serve`, as a person would.

Signs in with the development button, uploads a fixture through the file input, watches the
progress bar reach 100 %, waits for the track to be ready, plays it and checks from the page that
`audio.currentTime` advances and `audio.duration` matches the track. Then it uploads a larger file,
pauses, reloads the page mid-upload, picks the file again and checks that the upload resumes
without resending a chunk the server already stored (each chunk index is PUT exactly once, read
from the server's request log). Screenshots of each step go to the output folder, printed at the
end. Between the two it checks the plan status, opens a share link in a window that is not signed
in and plays it there, then makes the track private: an anonymous request for its stream gets 404
and the owner still plays it from the page (through a short-lived share token).

Usage: webapp_test.py --veza .build/debug/veza --out DIR [--database-url postgres://…]
Needs Debian's chromium and chromium-driver, PyPI selenium, and ffmpeg for the fixtures.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMEDRIVER = "/usr/lib/chromium/chromedriver"
TRACK_SECONDS = 12


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_fixtures(folder):
    short = os.path.join(folder, "sine.wav")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={TRACK_SECONDS}:sample_rate=44100", "-ac", "2", short],
        check=True)
    # Eight chunks of 10 MiB and a bit: with three in flight, chunks remain missing at the pause.
    long = os.path.join(folder, "long.wav")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "460",
         long],
        check=True)
    return short, long


def start_server(veza, data_dir, port, database_url, log_path):
    env = dict(os.environ, VEZA_DATA_DIR=data_dir, VEZA_DEV_LOGIN="1", LOG_LEVEL="info",
               TRANSCODE_WORKERS="1")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    log = open(log_path, "w")
    process = subprocess.Popen([veza, "serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"veza serve exited with {process.returncode}; see {log_path}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("veza serve did not answer /health within 60 s")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
                 "--window-size=1100,1400"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Steps:
    def __init__(self, driver, out):
        self.driver, self.out, self.n = driver, out, 0

    def shot(self, name):
        self.n += 1
        self.driver.save_screenshot(os.path.join(self.out, f"{self.n:02d}-{name}.png"))


def wait(driver, seconds, what, condition):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception:
        raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def upload_row(driver, name):
    return js(driver, """
        const row = [...document.querySelectorAll('#upload-list li')]
          .find(li => li.querySelector('strong').textContent === arguments[0]);
        return row ? {id: row.dataset.uploadId || null, track: row.dataset.trackId || null,
                      value: row.querySelector('progress').value,
                      status: row.querySelector('.upload-status').textContent} : null;""", name)


def chunk_puts(log_path, upload_id, after_offset=0):
    with open(log_path, "rb") as log:
        log.seek(after_offset)
        text = log.read().decode("utf-8", errors="replace")
    # Only the PUTs the server stored (2xx): a request the reload cut is logged when the server
    # sees the cut, after the mark, as 400 malformed_body, and carried nothing that was kept.
    return re.findall(rf"/api/v1/uploads/{upload_id}/chunks/(\d+) http\.status=2\d\d", text)


def run(args):
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="veza-browser-")
    short, long = make_fixtures(work)
    port = free_port()
    log_path = os.path.join(args.out, "server.log")
    server, base = start_server(args.veza, os.path.join(work, "data"), port, args.database_url, log_path)
    driver = browser()
    steps = Steps(driver, args.out)
    try:
        driver.get(base + "/")
        wait(driver, 10, "the development sign-in button", lambda d: d.find_element(By.ID, "dev-login").is_displayed())
        steps.shot("sign-in")
        driver.find_element(By.ID, "dev-login").click()
        wait(driver, 10, "the upload section", lambda d: d.find_element(By.ID, "upload").is_displayed())
        wait(driver, 10, "the limits", lambda d: "MiB" in d.find_element(By.ID, "limits").text)
        steps.shot("signed-in")

        # 1. Upload, 100 %, ready, play.
        driver.find_element(By.ID, "file-input").send_keys(short)
        row = wait(driver, 30, "the upload to reach 100 %",
                   lambda d: (r := upload_row(d, "sine.wav")) and r["value"] == 100 and r["track"] and r)
        steps.shot("uploaded")
        track_id = row["track"]
        assert track_id == track_id.lower(), f"track id not lowercase: {track_id}"
        selector = f'#track-list li[data-track-id="{track_id}"]'
        wait(driver, 90, "the track to be ready",
             lambda d: js(d, "const li = document.querySelector(arguments[0]); return li && li.dataset.status",
                          selector) == "ready")
        steps.shot("ready")
        driver.find_element(By.CSS_SELECTOR, selector + " .play").click()
        js(driver, "document.getElementById('audio').muted = true")
        wait(driver, 20, "playback to start",
             lambda d: js(d, "return document.getElementById('audio').currentTime") > 0.3)
        first = js(driver, "return document.getElementById('audio').currentTime")
        time.sleep(1.0)
        later = js(driver, "return document.getElementById('audio').currentTime")
        assert later > first, f"currentTime did not advance: {first} -> {later}"
        duration = js(driver, "return document.getElementById('audio').duration")
        assert abs(duration - TRACK_SECONDS) < 0.5, f"duration {duration} s, expected about {TRACK_SECONDS} s"
        source = js(driver, "return document.getElementById('audio').currentSrc")
        steps.shot("playing")
        print(f"browser: played {source} (duration {duration:.2f} s, currentTime {first:.2f} -> {later:.2f})")

        # The plan the signed-in user is on, as the server reports it.
        wait(driver, 10, "the plan status", lambda d: d.find_element(By.ID, "plan-status").text.startswith("Plan: Free"))
        plans = js(driver, "return [...document.querySelectorAll('#plan-list li')].map(li => li.dataset.planId)")
        assert "free" in plans and len(plans) > 1, f"plans listed: {plans}"

        # A share link: minted by the owner, opened in a window that is not signed in, plays.
        driver.find_element(By.CSS_SELECTOR, selector + " .share").click()
        link = wait(driver, 10, "the share link",
                    lambda d: d.find_element(By.CSS_SELECTOR, selector + " .share-link").get_attribute("value"))
        assert link.startswith(base + "/#track=" + track_id + "&share="), link
        steps.shot("share-link")
        owner_window = driver.current_window_handle
        driver.switch_to.new_window("window")
        driver.get(link)
        wait(driver, 20, "the shared track to play",
             lambda d: js(d, "const a = document.getElementById('audio'); a.muted = true; return a.currentTime") > 0.3)
        assert driver.find_element(By.ID, "whoami").text == "Not signed in"
        assert js(driver, "return sessionStorage.getItem('veza.token')") is None
        shared_source = js(driver, "return document.getElementById('audio').currentSrc")
        assert "share=" in shared_source, shared_source
        steps.shot("shared-playing")
        driver.close()
        driver.switch_to.window(owner_window)

        # Private: nobody without a credential gets the stream; the owner still plays it here.
        js(driver, "document.getElementById('audio').pause()")
        Select(driver.find_element(By.CSS_SELECTOR, selector + " .visibility")).select_by_visible_text("private")
        wait(driver, 10, "the track to be private",
             lambda d: d.find_element(By.CSS_SELECTOR, selector + " .message").text == "Now private")
        try:
            urllib.request.urlopen(f"{base}/api/v1/tracks/{track_id}/stream", timeout=10)
            raise AssertionError("a private track's stream answered an anonymous request")
        except urllib.error.HTTPError as error:
            assert error.code == 404, f"anonymous stream of a private track: {error.code}"
        js(driver, "document.getElementById('audio').currentTime = 0")
        driver.find_element(By.CSS_SELECTOR, selector + " .play").click()
        wait(driver, 20, "the private track to play",
             lambda d: js(d, "const a = document.getElementById('audio'); a.muted = true; "
                             "return a.currentSrc.includes('share=') ? a.currentTime : 0") > 0.3)
        steps.shot("private-playing")
        js(driver, "document.getElementById('audio').pause()")
        print(f"browser: shared link and private playback work for {track_id}")

        # 2. Reload mid-upload: pause after the first stored chunk, reload, pick the file again.
        # Loopback is too fast to stop between chunks: throttle the browser's uploads (DevTools).
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 8 * 1024 * 1024})
        driver.find_element(By.ID, "file-input").send_keys(long)
        row = wait(driver, 60, "the first stored chunk",
                   lambda d: (r := upload_row(d, "long.wav")) and r["id"] and 0 < r["value"] < 100 and r)
        driver.find_element(By.CSS_SELECTOR, '#upload-list li[data-upload-id="%s"] .pause' % row["id"]).click()
        upload_id = row["id"]
        assert upload_id == upload_id.lower(), f"upload id not lowercase: {upload_id}"
        token = js(driver, "return sessionStorage.getItem('veza.token')")

        def state():
            request = urllib.request.Request(f"{base}/api/v1/uploads/{upload_id}",
                                             headers={"Authorization": f"Bearer {token}"})
            return json.load(urllib.request.urlopen(request, timeout=10))

        # The chunks in flight at the pause finish; then nothing moves.
        stored = -1
        for _ in range(50):
            now = len(state()["received_chunks"])
            if now == stored:
                break
            stored = now
            time.sleep(0.5)
        before = state()
        assert before["missing_chunks"], "the upload finished before the reload; nothing to resume"
        steps.shot("paused")
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        log_mark = os.path.getsize(log_path)
        driver.refresh()
        wait(driver, 10, "the interrupted-upload hint", lambda d: "long.wav" in d.find_element(By.ID, "resume-hint").text)
        steps.shot("reloaded")
        driver.find_element(By.ID, "file-input").send_keys(long)
        wait(driver, 60, "the resumed upload to reach 100 %",
             lambda d: (r := upload_row(d, "long.wav")) and r["value"] == 100 and r["track"])
        steps.shot("resumed")
        after = state()
        assert after["status"] == "completed", after["status"]
        # After the reload the page sent only chunks the server did not have before it.
        resent_puts = chunk_puts(log_path, upload_id, after_offset=log_mark)
        stored_before = set(before["received_chunks"])
        resent = sorted(stored_before & {int(i) for i in resent_puts})
        assert not resent, f"chunks stored before the reload were sent again: {resent}"
        assert len(resent_puts) == len(set(resent_puts)), f"a chunk was sent twice after the reload: {resent_puts}"
        # Every chunk reached the server: stored before, in flight at the reload, or sent after it.
        every_put = {int(i) for i in chunk_puts(log_path, upload_id)}
        assert every_put == set(range(after["total_chunks"])), f"chunks sent: {sorted(every_put)}"
        assert resent_puts, "nothing was left to send after the reload: the test did not test resuming"
        print(f"browser: resumed {upload_id} after a reload with {len(stored_before)} of "
              f"{after['total_chunks']} chunks stored; sent after it: {sorted(int(i) for i in resent_puts)}")
    except Exception:
        steps.shot("failure")
        raise
    finally:
        driver.quit()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run(["rm", "-rf", work])
    print(f"browser: screenshots in {args.out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--veza", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--database-url")
    try:
        run(parser.parse_args())
    except AssertionError as error:
        print(f"browser: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
