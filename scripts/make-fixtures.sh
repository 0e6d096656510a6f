#!/usr/bin/env bash
# Regenerates fixtures/audio/ (and fixtures/audio/corrupt/) with the ffmpeg CLI
# and writes fixtures/audio/README.md from ffprobe's view of the results.
#
# Deterministic: bitexact muxers and encoders, fixed noise seeds, no dates. Two
# runs with the same FFmpeg build give byte-identical files (checked with
# `sha256sum`); another FFmpeg version may encode lossy files differently.
# Lossless files (WAV, FLAC) decode to the same samples everywhere.
#
#   scripts/make-fixtures.sh [OUTDIR]     default: fixtures/audio in the repo
#
# The set stays small (about 0.6 MiB): 3-4 s clips, 16-bit PCM, low rates for
# the WAVs (PCM does not compress).
set -euo pipefail
export LC_ALL=C # stable file order in the README table

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
out="${1:-${repo_root}/fixtures/audio}"

die() {
    printf 'make-fixtures: ERROR: %s\n' "$*" >&2
    exit 1
}
command -v ffmpeg >/dev/null || die "ffmpeg not found: run scripts/setup.sh"
command -v ffprobe >/dev/null || die "ffprobe not found: run scripts/setup.sh"
command -v python3 >/dev/null || die "python3 not found"

mkdir -p "${out}/corrupt"
work="$(mktemp -d -t veza-fixtures.XXXXXX)"
trap 'rm -rf "${work}"' EXIT

# Every output: bitexact container and codec (no encoder version, date or random
# stream serial), metadata only where asked for.
bitexact=(-fflags +bitexact -flags:a +bitexact -map_metadata -1)

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

# --- Sources (rendered once as 16-bit WAV at 44.1 kHz, then encoded) --------

# 440 Hz sine, -6 dBFS, same in both channels.
tone_src() { # RATE SECONDS OUT
    ff -f lavfi -i "aevalsrc=exprs=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t):s=$1:d=$2" \
        -af aformat=sample_fmts=s16 "${bitexact[@]}" -c:a pcm_s16le "$3"
}

# "Music-like": an A minor - F - C - G progression of 4-note chords (a different
# voicing per channel), a 1.5 Hz swell, pink noise band-limited to 200-3000 Hz
# (seed 42) and a near-silent break (-50 dB) from 1.8 to 2.8 s, so that the
# BS.1770 relative gate matters (see the README for the numbers).
music_src() { # RATE SECONDS OUT
    local rate="$1" secs="$2" outfile="$3"
    local chord='if(lt(t,0.75),220,if(lt(t,1.5),174.61,if(lt(t,2.25),261.63,196)))'
    local gain='if(between(t,1.8,2.8),0.003,1)'
    local env="(0.6+0.4*sin(2*PI*1.5*t))*${gain}"
    local left="st(0,${chord});(0.35*sin(2*PI*ld(0)*t)+0.25*sin(2*PI*ld(0)*1.25992*t)+0.2*sin(2*PI*ld(0)*1.49831*t)+0.1*sin(4*PI*ld(0)*t))*${env}"
    local right="st(0,${chord});(0.3*sin(2*PI*ld(0)*t+0.3)+0.3*sin(2*PI*ld(0)*1.25992*t)+0.2*sin(2*PI*ld(0)*1.49831*t+1)+0.1*sin(4*PI*ld(0)*t))*${env}"
    ff -filter_complex "\
aevalsrc=exprs='${left}|${right}':s=${rate}:d=${secs}[chords];\
anoisesrc=color=pink:seed=42:amplitude=0.03:sample_rate=${rate}:duration=${secs},\
lowpass=f=3000,highpass=f=200,pan=stereo|c0=c0|c1=0.7*c0,volume='${gain}':eval=frame[noise];\
[chords][noise]amix=inputs=2:normalize=0,aformat=sample_fmts=s16[out]" \
        -map '[out]' "${bitexact[@]}" -c:a pcm_s16le "${outfile}"
}

tone_src 44100 3 "${work}/tone-44k.wav"
tone_src 8000 3 "${work}/tone-8k.wav"
music_src 44100 3 "${work}/music-44k.wav"
music_src 48000 3 "${work}/music-48k.wav"
music_src 11025 3 "${work}/music-11k.wav"

# 64x64 PNG cover: a test pattern, deterministic.
ff -f lavfi -i "testsrc2=size=64x64:rate=1:duration=1" -frames:v 1 -fflags +bitexact -flags +bitexact \
    -c:v png "${work}/cover.png"

# --- Encodes --------------------------------------------------------------

tags=(-metadata "title=Fixture Chords" -metadata "artist=Veza Test Band" -metadata "album=Fixtures Vol. 1")

declare -A how=()
encode() { # NAME HOW ffmpeg-args...
    local name="$1" description="$2"
    shift 2
    ff "$@" "${out}/${name}"
    how["${name}"]="${description}"
}

rm -f "${out}"/*.mp3 "${out}"/*.flac "${out}"/*.wav "${out}"/*.ogg "${out}"/*.m4a "${out}"/corrupt/*

t44="${work}/tone-44k.wav"
m44="${work}/music-44k.wav"
encode tone-440-stereo.mp3 "440 Hz sine at -6 dBFS; libmp3lame CBR 64k" \
    -i "${t44}" "${bitexact[@]}" -c:a libmp3lame -b:a 64k
encode tone-440-stereo.flac "440 Hz sine at -6 dBFS; flac -compression_level 12" \
    -i "${t44}" "${bitexact[@]}" -c:a flac -compression_level 12
encode tone-440-stereo.wav "440 Hz sine at -6 dBFS rendered at 8 kHz; pcm_s16le" \
    -i "${work}/tone-8k.wav" "${bitexact[@]}" -c:a pcm_s16le
encode tone-440-stereo.ogg "440 Hz sine at -6 dBFS; libvorbis -q:a 2" \
    -i "${t44}" "${bitexact[@]}" -c:a libvorbis -q:a 2
encode tone-440-stereo.m4a "440 Hz sine at -6 dBFS; native aac 64k, moov at end" \
    -i "${t44}" "${bitexact[@]}" -c:a aac -b:a 64k

encode music.mp3 "music-like (chords + pink noise seed 42, quiet break); libmp3lame CBR 96k; ID3v2.4 title/artist/album" \
    -i "${m44}" "${bitexact[@]}" "${tags[@]}" -c:a libmp3lame -b:a 96k
encode music.flac "music-like; flac -compression_level 12; Vorbis comments title (non-ASCII)/artist/album" \
    -i "${m44}" "${bitexact[@]}" -metadata "title=Fixture Chords – Ünïcödé ♪" \
    -metadata "artist=Veza Test Band" -metadata "album=Fixtures Vol. 1" -c:a flac -compression_level 12
encode music.wav "music-like rendered at 11.025 kHz; pcm_s16le" \
    -i "${work}/music-11k.wav" "${bitexact[@]}" -c:a pcm_s16le
encode music.ogg "music-like; libvorbis -q:a 2" \
    -i "${m44}" "${bitexact[@]}" -c:a libvorbis -q:a 2
encode music.m4a "music-like; native aac 96k, moov first (+faststart); iTunes title/artist/album" \
    -i "${m44}" "${bitexact[@]}" "${tags[@]}" -c:a aac -b:a 96k -movflags +faststart

encode music-mono.mp3 "music-like downmixed to mono (-ac 1); libmp3lame CBR 48k" \
    -i "${m44}" "${bitexact[@]}" -ac 1 -c:a libmp3lame -b:a 48k
encode music-48k.m4a "music-like rendered at 48 kHz; native aac 96k" \
    -i "${work}/music-48k.wav" "${bitexact[@]}" -c:a aac -b:a 96k
encode music-cover.mp3 "music-like; libmp3lame CBR 64k; ID3v2.3 tags and a 64x64 PNG front cover (attached_pic video stream)" \
    -i "${m44}" -i "${work}/cover.png" -map 0:a -map 1:v "${bitexact[@]}" -flags:v +bitexact "${tags[@]}" \
    -c:a libmp3lame -b:a 64k -c:v copy -disposition:v attached_pic -id3v2_version 3 \
    -metadata:s:v "title=Album cover" -metadata:s:v "comment=Cover (front)"

# --- Corrupt inputs --------------------------------------------------------

# The first 9000 bytes of music.mp3: the Info header still promises 3 s, the
# data stops in the middle of a frame.
head -c 9000 "${out}/music.mp3" >"${out}/corrupt/truncated.mp3"
how[corrupt/truncated.mp3]="first 9000 bytes of music.mp3 (cut mid-frame)"
# An MP4 whose moov atom (at the end) is cut off: nothing can be opened.
head -c 12000 "${out}/tone-440-stereo.m4a" >"${out}/corrupt/truncated.m4a"
how[corrupt/truncated.m4a]="first 12000 bytes of tone-440-stereo.m4a (moov atom missing)"
# 16 KiB from a seeded generator; no MPEG audio frame sync in it (checked
# below), so every demuxer rejects it.
python3 - "${out}/corrupt/noise.mp3" <<'PY'
import random
import sys

rng = random.Random(20240607)
data = bytearray(rng.getrandbits(8) for _ in range(16384))
# Break every MPEG audio sync word (0xFFE) and ID3/RIFF/OggS/fLaC magic, so the
# bytes stay noise to every probe.
for i in range(len(data) - 1):
    if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
        data[i + 1] &= 0x1F
open(sys.argv[1], "wb").write(bytes(data))
PY
how[corrupt/noise.mp3]="16384 bytes from Python random.Random(20240607), MPEG sync words removed"

# --- Checks -----------------------------------------------------------------

for f in corrupt/truncated.m4a corrupt/noise.mp3; do
    if ffmpeg -nostdin -v error -i "${out}/${f}" -f null - >/dev/null 2>&1; then
        die "${f} decodes without error; it is meant to be unreadable"
    fi
done
total="$(find "${out}" -type f ! -name README.md -printf '%s\n' | awk '{s += $1} END {print s}')"
((total < 1048576)) || die "fixtures are ${total} bytes; keep them under 1 MiB"

# --- README -----------------------------------------------------------------

probe() { # FILE -> codec|rate|channels|duration|streams
    ffprobe -v error -select_streams a:0 -show_entries stream=codec_name,sample_rate,channels \
        -show_entries format=duration -of default=nw=1 "$1" |
        awk -F= '{v[$1]=$2} END {printf "%s|%s|%s|%.3f", v["codec_name"], v["sample_rate"], v["channels"], v["duration"]}'
}
loudness() { # FILE -> integrated loudness (LUFS) from ffmpeg's ebur128 filter
    ffmpeg -nostdin -hide_banner -nostats -i "$1" -map 0:a:0 -af ebur128 -f null - 2>&1 |
        awk '/Integrated loudness:/ {getline; print $2}' | tail -n 1
}
decoded_seconds() { # FILE -> seconds of audio the ffmpeg CLI decodes
    ffmpeg -nostdin -hide_banner -i "$1" -map 0:a:0 -af ashowinfo -f null - 2>&1 |
        awk '/pts_time:/ {for (i = 1; i <= NF; i++) {if ($i ~ /^pts_time:/) {t = substr($i, 10)} if ($i ~ /^nb_samples:/) {n = substr($i, 12)} if ($i ~ /^rate:/) {r = substr($i, 6)}}} END {if (r) printf "%.2f", t + n / r; else print "0"}'
}
ffmpeg_outcome() { # FILE -> what the ffmpeg CLI says when decoding it
    local err
    if err="$(ffmpeg -nostdin -v error -i "$1" -f null - 2>&1)"; then
        local claimed
        claimed="$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$1")"
        printf 'exit 0, no error; decodes %s s of the %.2f s its header claims' "$(decoded_seconds "$1")" "${claimed}"
        [[ -z "${err}" ]] || printf ' (%s)' "$(head -n 1 <<<"${err}")"
        echo
    else
        echo "fails: \`$(tail -n 1 <<<"${err}" | sed "s|^${out}/||")\`"
    fi
}

{
    cat <<'EOF'
# Audio fixtures

Generated by `scripts/make-fixtures.sh` with the ffmpeg CLI (FFmpeg 5.1 from
Debian 12); do not edit by hand, re-run the script. Bitexact flags and fixed
seeds make the output byte-identical from run to run on one FFmpeg build.

Content:
- **tone**: a 440 Hz sine at -6 dBFS (amplitude 0.5), identical in both
  channels, 3 s.
- **music**: "music-like" stereo: an A minor - F - C - G progression of
  four-note chords voiced differently per channel, a 1.5 Hz swell, pink noise
  (seed 42) band-limited to 200-3000 Hz, and a near-silent break (-50 dB)
  from 1.8 s to 2.8 s, 3 s in all. The break sits above BS.1770's absolute
  gate (-70 LUFS) and below its relative gate, so gating matters: integrated
  loudness with both gates is -11.0 LUFS (ffmpeg's ebur128 and pyloudnorm
  agree), with the absolute gate only (or none) -12.5 LUFS.
- Tags (title "Fixture Chords", artist "Veza Test Band", album "Fixtures Vol. 1")
  on `music.mp3`, `music.m4a`, `music-cover.mp3`; `music.flac` has a non-ASCII
  title. No other file carries metadata.
- `music-cover.mp3` has a second stream, a 64x64 PNG `attached_pic` (front
  cover): a transcoder must pick the audio stream and ignore it.

Durations are ffprobe's (MP3s include the encoder's padding); loudness is
ffmpeg's `ebur128` integrated loudness of the decoded audio.

| file | codec | rate (Hz) | channels | duration (s) | loudness (LUFS) | bytes | how made |
| --- | --- | --- | --- | --- | --- | --- | --- |
EOF
    for f in "${out}"/*.*; do
        name="$(basename "${f}")"
        [[ "${name}" == README.md ]] && continue
        IFS='|' read -r codec rate channels duration <<<"$(probe "${f}")"
        # shellcheck disable=SC2016 # backquotes are Markdown
        printf '| `%s` | %s | %s | %s | %s | %s | %s | %s |\n' "${name}" "${codec}" "${rate}" "${channels}" \
            "${duration}" "$(loudness "${f}")" "$(stat -c %s "${f}")" "${how[${name}]}"
    done
    cat <<'EOF'

## corrupt/

For failure tests. What the ffmpeg CLI (`ffmpeg -v error -i FILE -f null -`)
makes of each:

| file | bytes | how made | ffmpeg CLI |
| --- | --- | --- | --- |
EOF
    for f in "${out}"/corrupt/*; do
        name="corrupt/$(basename "${f}")"
        # shellcheck disable=SC2016 # backquotes are Markdown
        printf '| `%s` | %s | %s | %s |\n' "${name}" "$(stat -c %s "${f}")" "${how[${name}]}" "$(ffmpeg_outcome "${f}")"
    done
    printf '\nTotal: %s bytes.\n' "${total}"
} >"${out}/README.md"

printf 'make-fixtures: wrote %s files (%s bytes) to %s\n' "$(find "${out}" -type f ! -name README.md | wc -l)" "${total}" "${out}"
