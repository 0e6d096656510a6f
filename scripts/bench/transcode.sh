#!/usr/bin/env bash
# Benchmarks `veza transcode` against one ffmpeg command producing the same three
# fMP4 HLS renditions (AAC-LC 64/128/256 kb/s, 6 s segments) of a 10-minute
# 44.1 kHz stereo track. Runs BENCH_ROUNDS (3) rounds, each tool once per round in
# turn (the order rotates), prints every run, then the medians and the wall-time and
# CPU-time (user+sys) ratios to ffmpeg (medians of the per-round ratios).
#
#   scripts/bench/transcode.sh                 # builds and runs .build/release/veza
#   VEZA_BIN=/path/to/veza scripts/bench/transcode.sh
#   TRANSCODE_CMD="/path/to/binary" scripts/bench/transcode.sh
#       (any command taking INPUT OUTDIR, e.g. a dev build of the transcoder)
#   BASELINE_CMD="/other/veza transcode" scripts/bench/transcode.sh
#       (also runs that build, e.g. main's, in every round, and checks that both builds
#       wrote the same playlists: segment durations, master, segment bytes)
#   BENCH_SECONDS=120 BENCH_ROUNDS=1 scripts/bench/transcode.sh   # a shorter run
#
# Needs ffmpeg, ffprobe and GNU time (/usr/bin/time, Debian package "time").
# veza also measures loudness, true peak and the waveform in the same pass; the
# ffmpeg command only encodes and packages, so it does less work. The ffmpeg CLI
# encodes its outputs one after another on one core; veza shares the cores between
# its encoders, so on N cores the limit is about 1/N of ffmpeg's time, plus the analysis.
# On a loaded machine wall-time ratios are noisy; CPU-time ratios much less so.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${BENCH_SECONDS:-600}"
rounds="${BENCH_ROUNDS:-3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/veza-bench-transcode.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is missing: apt-get install -y time" >&2
    exit 1
fi

if [[ -n "${TRANSCODE_CMD:-}" ]]; then
    read -r -a transcode <<<"$TRANSCODE_CMD"
elif [[ -n "${VEZA_BIN:-}" ]]; then
    transcode=("$VEZA_BIN" transcode)
else
    (cd "$repo" && swift build -c release --product veza >&2)
    transcode=("$repo/.build/release/veza" transcode)
fi
baseline=()
if [[ -n "${BASELINE_CMD:-}" ]]; then
    read -r -a baseline <<<"$BASELINE_CMD"
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

# The ffmpeg command making the same ladder from $1 into $2, into the array `ffmpeg_ladder`.
ffmpeg_ladder() {
    mkdir -p "$2"
    ffmpeg_ladder=(ffmpeg -v error -nostdin -y -i "$1"
        -map 0:a -map 0:a -map 0:a -c:a aac -b:a:0 64k -b:a:1 128k -b:a:2 256k
        -f hls -hls_time 6 -hls_playlist_type vod -hls_segment_type fmp4
        -hls_segment_filename "$2/aac_%v/seg_%05d.m4s" -master_pl_name master.m3u8
        -var_stream_map "a:0,name:64k a:1,name:128k a:2,name:256k" "$2/aac_%v/index.m3u8")
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "track: ${seconds} s, 44.1 kHz stereo WAV; ladder 64/128/256 kb/s AAC-LC, 6 s fMP4 segments; $(nproc) cores; ${rounds} rounds"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

tools=(veza ffmpeg)
if ((${#baseline[@]})); then tools=(veza baseline ffmpeg); fi
results="$work/results"
: >"$results"
for ((round = 1; round <= rounds; round++)); do
    # Rotate the order each round, so no tool always runs first (or right after another).
    for ((k = 0; k < ${#tools[@]}; k++)); do
        tool="${tools[$(((k + round - 1) % ${#tools[@]}))]}"
        out="$work/$tool"
        rm -rf "$out"
        case "$tool" in
            veza) read -r wall rss cpu < <(measure "${transcode[@]}" "$source" "$out") ;;
            baseline) read -r wall rss cpu < <(measure "${baseline[@]}" "$source" "$out") ;;
            ffmpeg)
                ffmpeg_ladder "$source" "$out"
                read -r wall rss cpu < <(measure "${ffmpeg_ladder[@]}")
                ;;
        esac
        test -s "$out/master.m3u8"
        echo "$round $tool $wall $rss $cpu" >>"$results"
        printf 'round %d  ' "$round"
        report "$tool" "$wall" "$rss" "$cpu"
    done
done

echo
echo "medians of ${rounds} rounds (ratios: median of the per-round ratios to ffmpeg in the same round):"
printf '%-9s %9s %9s %10s %11s %10s\n' tool "wall s" "cpu s" "RSS MiB" "wall/ffmpeg" "cpu/ffmpeg"
for tool in "${tools[@]}"; do
    wall="$(awk -v t="$tool" '$2 == t { print $3 }' "$results" | median)"
    cpu="$(awk -v t="$tool" '$2 == t { print $5 }' "$results" | median)"
    rss="$(awk -v t="$tool" '$2 == t { print $4 / 1024 }' "$results" | median)"
    wall_ratio="$(awk -v t="$tool" '$2 == "ffmpeg" { f[$1] = $3 } $2 == t { v[$1] = $3 } END { for (r in v) print v[r] / f[r] }' "$results" | median)"
    cpu_ratio="$(awk -v t="$tool" '$2 == "ffmpeg" { f[$1] = $5 } $2 == t { v[$1] = $5 } END { for (r in v) print v[r] / f[r] }' "$results" | median)"
    printf '%-9s %9.2f %9.2f %10.1f %10.3fx %9.3fx\n' "$tool" "$wall" "$cpu" "$rss" "$wall_ratio" "$cpu_ratio"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every tool)"

# The output: every rendition's segment durations, and the master, checked by ffprobe.
echo
probe="$(ffprobe -v error -show_entries stream=index,codec_name -of csv=p=0 "$work/veza/master.m3u8" | sort -u)"
aac_streams="$(grep -c ',aac' <<<"$probe" || true)"
if [[ "$aac_streams" == 3 ]]; then
    echo "master.m3u8: ffprobe reads 3 AAC renditions"
else
    echo "master.m3u8: ffprobe reads ${aac_streams} AAC renditions, expected 3" >&2
    exit 1
fi
extinfs() { grep -h '^#EXTINF' "$1"; }
for playlist in "$work"/veza/aac_*/index.m3u8; do
    rendition="$(basename "$(dirname "$playlist")")"
    segments="$(extinfs "$playlist" | wc -l)"
    line="$rendition: $segments segments"
    if ((${#baseline[@]})); then
        if cmp -s <(extinfs "$playlist") <(extinfs "$work/baseline/$rendition/index.m3u8"); then
            line+=", EXTINF durations identical to the baseline's"
        else
            echo "$line: EXTINF durations differ from the baseline's" >&2
            diff <(extinfs "$work/baseline/$rendition/index.m3u8") <(extinfs "$playlist") | head >&2
            exit 1
        fi
        if diff -rq "$work/veza/$rendition" "$work/baseline/$rendition" >/dev/null; then
            line+=", every file byte-identical"
        else
            line+=", some segment bytes differ"
        fi
    fi
    echo "$line"
done
if ((${#baseline[@]})); then
    for file in master.m3u8 waveform.json stream.m4a; do
        if cmp -s "$work/veza/$file" "$work/baseline/$file"; then
            echo "$file: identical to the baseline's"
        else
            echo "$file: differs from the baseline's"
        fi
    done
fi
