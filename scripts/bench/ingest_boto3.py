#!/usr/bin/env python3
"""The boto3 side of scripts/bench/ingest.sh: test audio, the bucket, the raw S3 upload.

  wav FILE --size-mib N      write a WAV file of exactly N MiB (RIFF/WAVE/fmt/data header, then
                             deterministic pseudo-random 16-bit stereo 44.1 kHz PCM), streamed
                             to disk 1 MiB at a time
  bucket --bucket B          create bucket B unless it exists
  upload --file F --bucket B upload F with boto3's managed transfer (multipart, --part-size-mib
                             parts, --concurrency threads), then delete it unless --keep
  check --bucket B --bytes N exit 0 when the bucket holds an object of exactly N bytes

Connection settings come from S3_* or VEZA_TEST_S3_* (as for boto3_roundtrip.py). `upload` and
`check` print `RESULT {json}` last.
"""
import argparse
import json
import os
import random
import struct
import sys
import time

MIB = 1 << 20


def setting(*names, default=None):
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    if default is None:
        sys.exit(f"set {' or '.join(names)}")
    return default


def client():
    import boto3
    from botocore.config import Config

    return boto3.client(
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


def write_wav(path, size_mib):
    channels, rate, bits = 2, 44100, 16
    block = channels * bits // 8
    data_size = size_mib * MIB - 44  # the canonical header is 44 bytes; MiB sizes keep whole frames
    if data_size <= 0:
        sys.exit("--size-mib must be at least 1")
    header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, bits)
    header += b"data" + struct.pack("<I", data_size)
    rng = random.Random(20261129)  # the same bytes on every run
    with open(path, "wb") as out:
        out.write(header)
        left = data_size
        while left > 0:
            n = min(MIB, left)
            out.write(rng.randbytes(n))
            left -= n


def upload(args):
    import boto3
    from boto3.s3.transfer import TransferConfig

    s3 = client()
    part = args.part_size_mib * MIB
    config = TransferConfig(
        multipart_threshold=part, multipart_chunksize=part, max_concurrency=args.concurrency, use_threads=True
    )
    size = os.path.getsize(args.file)
    started = time.monotonic()
    s3.upload_file(args.file, args.bucket, args.key, Config=config)
    seconds = time.monotonic() - started
    if s3.head_object(Bucket=args.bucket, Key=args.key)["ContentLength"] != size:
        sys.exit(f"{args.key}: stored size differs from {size}")
    if not args.keep:
        s3.delete_object(Bucket=args.bucket, Key=args.key)
    result = {
        "tool": "boto3 " + boto3.__version__,
        "bytes": size,
        "seconds": seconds,
        "upload_mib_s": size / MIB / seconds,
    }
    print(f"upload      {result['upload_mib_s']:.1f} MiB/s ({args.part_size_mib} MiB parts, {args.concurrency} threads)")
    print("RESULT " + json.dumps(result, sort_keys=True))


def check(args):
    s3 = client()
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Size"] == args.bytes]
    print("RESULT " + json.dumps({"keys": keys}))
    return 0 if keys else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wav")
    p.add_argument("file")
    p.add_argument("--size-mib", type=int, required=True)
    p = sub.add_parser("bucket")
    p.add_argument("--bucket", required=True)
    p = sub.add_parser("upload")
    p.add_argument("--file", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--key", default="bench/boto3.wav")
    p.add_argument("--part-size-mib", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=3)
    p.add_argument("--keep", action="store_true")
    p = sub.add_parser("check")
    p.add_argument("--bucket", required=True)
    p.add_argument("--bytes", type=int, required=True)
    args = parser.parse_args()

    if args.command == "wav":
        write_wav(args.file, args.size_mib)
    elif args.command == "bucket":
        s3 = client()
        try:
            s3.head_bucket(Bucket=args.bucket)
        except s3.exceptions.ClientError:
            s3.create_bucket(Bucket=args.bucket)
    elif args.command == "upload":
        upload(args)
    else:
        return check(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
