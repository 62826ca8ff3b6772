#!/usr/bin/python3
"""Reference decode of DICOM frames with pydicom (and GDCM for the codecs pydicom lacks).

Reads JSON lines on stdin: {"file": path, "frame": n (0-based)}; writes one JSON line per
request on stdout: {"rows", "columns", "samples", "dtype", "photometric", "data": base64 of the
frame's pixels as little endian, samples interleaved} or {"error": message}.

This is the independent implementation the portal's own decoders are checked against
(issue 18): nothing of the portal's code runs here.
"""
import base64
import json
import sys

import numpy as np
import pydicom
from pydicom.pixel_data_handlers import util

pydicom.config.pixel_data_handlers = [
    h for h in pydicom.config.pixel_data_handlers
    if h.__name__.split('.')[-1] in ('numpy_handler', 'rle_handler', 'gdcm_handler', 'pillow_handler')
]


def decode(path, frame):
    ds = pydicom.dcmread(path, force=True)
    arr = ds.pixel_array
    frames = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    if frames > 1:
        arr = arr[frame]
    samples = int(getattr(ds, 'SamplesPerPixel', 1))
    photometric = str(getattr(ds, 'PhotometricInterpretation', ''))
    if photometric in ('YBR_RCT', 'YBR_ICT'):
        # JPEG 2000's component transform is undone by the codec: the pixels come back as RGB.
        photometric = 'RGB'
    elif photometric.startswith('YBR') and samples == 3:
        # What a renderer shows: pydicom leaves YBR as stored (GDCM's JPEG path too).
        arr = util.convert_color_space(arr, 'YBR_FULL' if photometric == 'YBR_FULL_422' else photometric, 'RGB')
        photometric = 'RGB'
    arr = np.ascontiguousarray(arr)
    return {
        'rows': int(ds.Rows),
        'columns': int(ds.Columns),
        'samples': samples,
        'dtype': arr.dtype.str.lstrip('<>|='),
        'photometric': photometric,
        'data': base64.b64encode(arr.astype(arr.dtype.newbyteorder('<')).tobytes()).decode('ascii'),
    }


for line in sys.stdin:
    request = json.loads(line)
    try:
        out = decode(request['file'], int(request.get('frame', 0)))
    except Exception as e:  # noqa: BLE001 — every failure is reported to the caller
        out = {'error': f'{type(e).__name__}: {e}'}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
