"""Checks what rtc-sfu --record wrote: one Opus .ogg and one VP8 .webm that ffprobe reads with
the right codec and the publishing time as duration, and that ffmpeg decodes without a word."""

import json
import os

import harness
from harness import check


def ffprobe(path):
    result = harness.run(["ffprobe", "-v", "error", "-show_streams", "-show_format",
                          "-count_frames", "-of", "json", path], timeout=30)
    check(result.returncode == 0, "ffprobe %s: %s" % (path, result.stderr))
    return json.loads(result.stdout)


def check_recording(directory, published, tolerance=1.0):
    """Asserts the files in `directory`; returns {codec: duration in seconds}."""
    files = sorted(os.listdir(directory))
    check([f.rsplit(".", 1)[-1] for f in files] == ["ogg", "webm"], "files: %r" % files)
    durations = {}
    for name in files:
        path = os.path.join(directory, name)
        info = ffprobe(path)
        codec = info["streams"][0]["codec_name"]
        check(codec == {"ogg": "opus", "webm": "vp8"}[name.rsplit(".", 1)[1]],
              "%s has codec %s" % (name, codec))
        durations[codec] = float(info["format"]["duration"])
        decode = harness.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], timeout=60)
        check(decode.returncode == 0 and not decode.stderr.strip(),
              "ffmpeg could not decode %s cleanly: %s" % (name, decode.stderr[-500:]))
    for codec, d in durations.items():
        check(abs(d - published) < tolerance,
              "%s lasts %.2f s, published %.2f s" % (codec, d, published))
    check(abs(durations["opus"] - durations["vp8"]) < 0.5, "tracks differ: %r" % durations)
    return durations
