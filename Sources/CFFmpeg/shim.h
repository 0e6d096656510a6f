#ifndef VEZA_CFFMPEG_SHIM_H
#define VEZA_CFFMPEG_SHIM_H

// FFmpeg 5.1 (libavformat 59, libavcodec 59, libswresample 4, libavutil 57).
// Swift cannot import function-like macros or compound literals, so the few
// we need are re-exported here as static inline functions.

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

static inline int veza_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int veza_averror_eof(void) { return AVERROR_EOF; }
static inline int veza_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int veza_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t veza_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational veza_av_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline AVChannelLayout veza_channel_layout_stereo(void) { return (AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO; }
static inline AVChannelLayout veza_channel_layout_mono(void) { return (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO; }

/// Splits a packed AV_VERSION_INT into its parts.
static inline unsigned veza_version_major(unsigned v) { return AV_VERSION_MAJOR(v); }
static inline unsigned veza_version_minor(unsigned v) { return AV_VERSION_MINOR(v); }
static inline unsigned veza_version_micro(unsigned v) { return AV_VERSION_MICRO(v); }

// Added for the Transcode module: more error tags built with FFERRTAG (a
// function-like macro), and the audio FIFO header the pipeline uses.
#include <libavutil/audio_fifo.h>
static inline int veza_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int veza_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int veza_averror_exit(void) { return AVERROR_EXIT; }
static inline int veza_averror_input_changed(void) { return AVERROR_INPUT_CHANGED; }

#endif
