#!/usr/bin/env bash
# Benchmarks `veza transcode` against one ffmpeg command producing the same three
# fMP4 HLS renditions (AAC-LC 64/128/256 kb/s, 6 s segments) of a 10-minute
# 44.1 kHz stereo track, and prints wall time, peak RSS and speed (x real time).
#
#   scripts/bench/transcode.sh                 # builds and runs .build/release/veza
#   TRANSCODE_CMD="/path/to/binary" scripts/bench/transcode.sh
#       (any command taking INPUT OUTDIR, e.g. a dev build of the transcoder)
#   BENCH_SECONDS=120 scripts/bench/transcode.sh   # a shorter track
#
# Needs ffmpeg and GNU time (/usr/bin/time, Debian package "time").
# veza also measures loudness, true peak and the waveform in the same pass; the
# ffmpeg command only encodes and packages, so it does less work.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${BENCH_SECONDS:-600}"
work="$(mktemp -d "${TMPDIR:-/tmp}/veza-bench-transcode.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is missing: apt-get install -y time" >&2
    exit 1
fi

if [[ -n "${TRANSCODE_CMD:-}" ]]; then
    read -r -a transcode <<<"$TRANSCODE_CMD"
else
    (cd "$repo" && swift build -c release --product veza >&2)
    transcode=("$repo/.build/release/veza" transcode)
fi

# Music-like test signal: two detuned chords with a slow swell, plus band-limited noise.
source="$work/track.wav"
ffmpeg -v error -nostdin -y -f lavfi -i \
    "aevalsrc=0.2*sin(2*PI*220*t)*(0.7+0.3*sin(2*PI*0.25*t))+0.15*sin(2*PI*329.6*t)+0.1*sin(2*PI*440*t+1)|0.2*sin(2*PI*261.6*t)+0.15*sin(2*PI*392*t)*(0.6+0.4*sin(2*PI*0.1*t))+0.1*sin(2*PI*523.3*t):s=44100:d=${seconds}" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.05:seed=42:sample_rate=44100:duration=${seconds}" \
    -filter_complex "[1:a]bandpass=f=1000:width_type=o:w=3,aformat=channel_layouts=stereo[n];[0:a][n]amix=inputs=2:normalize=0" \
    -c:a pcm_s16le "$source"

# Runs a command under GNU time; prints "wall_seconds peak_rss_kib".
measure() {
    local log="$work/time.log"
    /usr/bin/time -v -o "$log" "$@" >"$work/out.log" 2>&1 || {
        cat "$work/out.log" >&2
        return 1
    }
    local wall rss
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')"
    rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")"
    local cpu
    cpu="$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$log")"
    echo "$wall $rss $cpu"
}

report() {
    local name="$1" wall="$2" rss="$3" cpu="$4"
    awk -v n="$name" -v w="$wall" -v r="$rss" -v c="$cpu" -v d="$seconds" \
        'BEGIN { printf "%-8s wall %7.2f s   cpu %7.2f s   peak RSS %7.1f MiB   speed %6.1fx real time\n", n, w, c, r / 1024, d / w }'
}

echo "track: ${seconds} s, 44.1 kHz stereo WAV; ladder 64/128/256 kb/s AAC-LC, 6 s fMP4 segments; $(nproc) cores"

read -r veza_wall veza_rss veza_cpu < <(measure "${transcode[@]}" "$source" "$work/veza")
test -s "$work/veza/master.m3u8"

mkdir -p "$work/ffmpeg"
read -r ff_wall ff_rss ff_cpu < <(measure ffmpeg -v error -nostdin -y -i "$source" \
    -map 0:a -map 0:a -map 0:a -c:a aac -b:a:0 64k -b:a:1 128k -b:a:2 256k \
    -f hls -hls_time 6 -hls_playlist_type vod -hls_segment_type fmp4 \
    -hls_segment_filename "$work/ffmpeg/aac_%v/seg_%05d.m4s" -master_pl_name master.m3u8 \
    -var_stream_map "a:0,name:64k a:1,name:128k a:2,name:256k" "$work/ffmpeg/aac_%v/index.m3u8")
test -s "$work/ffmpeg/master.m3u8"

report veza "$veza_wall" "$veza_rss" "$veza_cpu"
report ffmpeg "$ff_wall" "$ff_rss" "$ff_cpu"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows both)"
