#!/usr/bin/env python3
"""Upload then download a file through boto3, the reference for scripts/bench/storage.sh.

Upload: boto3's managed transfer (multipart, --part-size-mib parts, --concurrency threads).
Download: one streaming GetObject, hashed with SHA-256 as it arrives.
Connection settings come from S3_* or VEZA_TEST_S3_* (as for veza-bench). The last line printed
is `RESULT {json}`, with the same fields as veza-bench's.
"""
import argparse
import hashlib
import json
import os
import sys
import time


def status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return -1


def setting(*names, default=None):
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    if default is None:
        sys.exit(f"set {' or '.join(names)}")
    return default


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", default="bench/boto3.bin")
    parser.add_argument("--part-size-mib", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=setting("S3_ENDPOINT", "VEZA_TEST_S3_ENDPOINT"),
        region_name=setting("S3_REGION", "VEZA_TEST_S3_REGION", default="us-east-1"),
        aws_access_key_id=setting("S3_ACCESS_KEY_ID", "VEZA_TEST_S3_ACCESS_KEY_ID"),
        aws_secret_access_key=setting("S3_SECRET_ACCESS_KEY", "VEZA_TEST_S3_SECRET_ACCESS_KEY"),
        config=Config(
            s3={"addressing_style": "path"},
            # Like S3Store: no extra checksums (SigV4 still hashes each part's body).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    try:
        s3.head_bucket(Bucket=args.bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=args.bucket)

    source = hashlib.sha256()
    with open(args.file, "rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            source.update(chunk)
    size = os.path.getsize(args.file)
    idle = status_bytes("VmRSS")

    part = args.part_size_mib << 20
    config = TransferConfig(
        multipart_threshold=part, multipart_chunksize=part, max_concurrency=args.concurrency, use_threads=True
    )
    started = time.monotonic()
    s3.upload_file(args.file, args.bucket, args.key, Config=config)
    upload_seconds = time.monotonic() - started

    downloaded = hashlib.sha256()
    count = 0
    started = time.monotonic()
    body = s3.get_object(Bucket=args.bucket, Key=args.key)["Body"]
    for chunk in body.iter_chunks(1 << 20):
        downloaded.update(chunk)
        count += len(chunk)
    download_seconds = time.monotonic() - started
    peak = status_bytes("VmHWM")
    if not args.keep:
        s3.delete_object(Bucket=args.bucket, Key=args.key)

    matches = count == size and downloaded.hexdigest() == source.hexdigest()
    mib = size / 1048576
    print(f"sha256      {source.hexdigest()} {'matches' if matches else 'DIFFERS'}")
    print(f"upload      {mib / upload_seconds:.1f} MiB/s ({args.part_size_mib} MiB parts, {args.concurrency} threads)")
    print(f"download    {mib / download_seconds:.1f} MiB/s")
    print(f"rss idle    {idle / 1048576:.1f} MiB, peak {peak / 1048576:.1f} MiB, {(peak - idle) / 1048576:.1f} MiB over idle")
    result = {
        "tool": "boto3 " + boto3.__version__,
        "bytes": size,
        "sha256_ok": matches,
        "upload_mib_s": mib / upload_seconds,
        "download_mib_s": mib / download_seconds,
        "idle_rss_bytes": idle,
        "peak_rss_bytes": peak,
        "rss_over_idle_bytes": peak - idle,
    }
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
