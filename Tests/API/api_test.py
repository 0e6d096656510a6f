#!/usr/bin/env python3
"""The API contract test: schemathesis against a live `veza serve`, held to /openapi.json.

Starts a debug `veza serve` on a fresh data dir (and the given database), validates the served
document with openapi-spec-validator, uploads two short fixtures with `veza upload` (one for the
read-only track operations, one for DELETE) and waits until they are ready, then runs schemathesis
with a user token: no 5xx (not_a_server_error), every answer documented (status_code_conformance)
and matching its schema (response_schema_conformance), deterministic generation. Afterwards every
documented status must have been reached by the run or be listed, with where it is tested or why
it cannot be reached, in Tests/API/unreached-statuses.txt.

    Tests/API/api_test.py --veza .build/debug/veza --out DIR [--database-url postgres://...]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
JWT_SECRET = "api-test-" + "s" * 40
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
# Operations on the track the run may change or remove get the second fixture.
MUTATING = {("DELETE", "/api/v1/tracks/{id}")}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(veza, data_dir, port, database_url, log_path):
    # Hyperswitch is configured (at a closed port) so the webhook checks signatures instead of
    # answering 503 `payment_provider_unavailable`; no generated plan name is a paid plan's.
    env = dict(os.environ, VEZA_DATA_DIR=data_dir, LOG_LEVEL="info", TRANSCODE_WORKERS="1",
               JWT_SECRET=JWT_SECRET, HYPERSWITCH_URL=f"http://127.0.0.1:{free_port()}",
               HYPERSWITCH_API_KEY="snd_api_test", HYPERSWITCH_WEBHOOK_SECRET="api-test-webhook-secret")
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


def get_json(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def upload_ready(veza, base, token, work, name, seconds):
    wav = os.path.join(work, name + ".wav")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}:sample_rate=44100", "-ac", "2", wav], check=True)
    out = subprocess.run([veza, "upload", wav, "--server", base, "--token", token, "--title", name],
                         check=True, capture_output=True, text=True).stdout
    track_id = out.strip().splitlines()[-1].strip()
    uuid.UUID(track_id)
    deadline = time.time() + 90
    while time.time() < deadline:
        track = get_json(f"{base}/api/v1/tracks/{track_id}", token)
        if track["status"] == "ready":
            return track
        if track["status"] == "failed":
            raise SystemExit(f"fixture {name} failed to transcode: {track.get('failure_reason')}")
        time.sleep(0.5)
    raise SystemExit(f"fixture {name} was not ready within 90 s")


def open_uploads(base, token):
    """An open chunk upload and an open tus upload, for the operations on `/uploads/{id}` and
    `/tus/{id}` (a random id only ever reaches their 404)."""
    auth = {"Authorization": f"Bearer {token}"}
    body = json.dumps({"filename": "open.wav", "size": 3 * 1024 * 1024}).encode()
    request = urllib.request.Request(base + "/api/v1/uploads", data=body, method="POST",
                                     headers={**auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        chunked = json.load(response)["id"]
    request = urllib.request.Request(base + "/api/v1/tus", data=b"", method="POST",
                                     headers={**auth, "Tus-Resumable": "1.0.0", "Upload-Length": "1000",
                                              "Upload-Metadata": "filename b3Blbi53YXY="})
    with urllib.request.urlopen(request, timeout=10) as response:
        tus = response.headers["Location"].rstrip("/").split("/")[-1]
    return chunked, tus


def documented_statuses(document):
    pairs = set()
    for path, item in document["paths"].items():
        for method in METHODS:
            for status in item.get(method, {}).get("responses", {}):
                pairs.add((method.upper(), path, status))
    return pairs


def read_explanations():
    """`METHOD PATH STATUS WHERE-OR-WHY` lines; `*` as METHOD or PATH matches any."""
    explained = {}
    with open(os.path.join(HERE, "unreached-statuses.txt")) as listing:
        for raw in listing:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            method, path, status, why = line.split(None, 3)
            explained[(method, path, status)] = why
    return explained


def write_config(path, track, victim, uploads, operations):
    """Fixed parameter values: the ready fixture for every track operation (the second one for
    DELETE), its first rendition and segment for the HLS ones, the open uploads for theirs."""
    rendition = track["hls"]["renditions"][0]["name"]
    chunked, tus = uploads
    lines = []
    for method, op_path in sorted(operations):
        if op_path.startswith("/api/v1/tracks/{id}"):
            values = {"id": victim["id"] if (method, op_path) in MUTATING else track["id"]}
        elif op_path.startswith("/api/v1/uploads/{id}"):
            values = {"id": chunked}
        elif op_path.startswith("/api/v1/tus/{id}"):
            values = {"id": tus}
        else:
            continue
        if "{rendition}" in op_path:
            values["rendition"] = rendition
        if "{segment}" in op_path:
            values["segment"] = "init.mp4"
        lines.append("[[operations]]")
        lines.append(f'include-name = "{method} {op_path}"')
        lines.append("parameters = { " + ", ".join(f'"path.{k}" = "{v}"' for k, v in values.items()) + " }")
        lines.append("")
    with open(path, "w") as config:
        config.write("\n".join(lines))


def run(args):
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="veza-api-")
    port = free_port()
    server, base = start_server(args.veza, os.path.join(work, "data"), port, args.database_url,
                                os.path.join(args.out, "server.log"))
    try:
        document_path = os.path.join(args.out, "openapi.json")
        urllib.request.urlretrieve(base + "/openapi.json", document_path)
        subprocess.run(["openapi-spec-validator", document_path], check=True)
        with open(document_path) as handle:
            document = json.load(handle)

        env = dict(os.environ, VEZA_DATA_DIR=os.path.join(work, "data"), JWT_SECRET=JWT_SECRET)
        user = "7d4e1f5a-3b2c-4d1e-9f8a-0123456789ab"
        token = subprocess.run([args.veza, "token", "--user", user], env=env, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
        track = upload_ready(args.veza, base, token, work, "fixture", 3)
        victim = upload_ready(args.veza, base, token, work, "victim", 1)

        operations = {(m, p) for (m, p, _) in documented_statuses(document)}
        config = os.path.join(work, "schemathesis.toml")
        write_config(config, track, victim, open_uploads(base, token), operations)
        status_log = os.path.join(args.out, "statuses.jsonl")
        open(status_log, "w").close()
        st_env = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks", VEZA_API_STATUS_LOG=status_log,
                      PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        command = ["st", "--config-file", config, "run", base + "/openapi.json",
                   "-H", f"Authorization: Bearer {token}",
                   "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
                   "--max-examples", str(args.max_examples), "--generation-deterministic",
                   "--workers", "2", "--no-color", "--suppress-health-check", "all",
                   "--report", "junit", "--report-dir", os.path.join(args.out, "report")]
        print("api: " + " ".join(c if not c.startswith("Authorization") else "Authorization: Bearer …"
                                 for c in command), flush=True)
        st = subprocess.run(command, env=st_env, cwd=work)

        reached = {("GET", "/openapi.json", "200")}  # fetched above, and by schemathesis
        with open(status_log) as log:
            for line in log:
                method, path, status = json.loads(line)
                reached.add((method, path, str(status)))
        documented = documented_statuses(document)
        patterns = read_explanations()
        matches = lambda pattern, entry: all(p in ("*", e) for p, e in zip(pattern, entry))
        explained = {entry for entry in documented for pattern in patterns if matches(pattern, entry)}
        missing = sorted(documented - reached - explained)
        stale = sorted(p for p in patterns if not any(matches(p, entry) for entry in documented))
        print(f"api: {len(documented)} documented statuses, {len(documented & reached)} reached by the run, "
              f"{len(explained - reached)} explained in Tests/API/unreached-statuses.txt")
        for entry in missing:
            print("api: neither reached nor explained: " + " ".join(entry))
        for entry in stale:
            print("api: explained but not documented (remove it): " + " ".join(entry))
        if st.returncode != 0:
            print(f"api: schemathesis failed (exit {st.returncode}); see above and {args.out}/report")
        return 0 if st.returncode == 0 and not missing and not stale else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--veza", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--max-examples", type=int, default=25)
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
