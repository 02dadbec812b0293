"""EXIF as exiv2 0.27 prints it, for ``image/info`` (:mod:`core.inspect`).

OSS evidently builds ``info`` from exiv2 (the tag names, the ``"0deg "`` GPS text and
``"North"`` are exiv2's), so this follows exiv2 0.27: tag names per IFD, raw
``Value::toString`` text for most tags and the ``print`` form only for the GPS
coordinate/ref tags where OSS is seen to use it. The EXIF/TIFF structure is parsed here
rather than through ``PIL.Image.Exif`` because the output depends on the stored TIFF type
(BYTE vs ASCII vs UNDEFINED) and on raw rational terms, which Pillow's decoded values do
not keep. Pure functions over bytes.
"""
from __future__ import annotations

import struct
from typing import Iterable

__all__ = ["exif_fields", "tiff_from_exif_blob", "print_degrees", "PILLOW_TO_EXIV2"]

# exiv2 tag names (0.27 tag tables), per IFD. A tag missing from its table has no exiv2
# name; exiv2 would call it "0x1234", and OSS leaves such tags out (the Windows Photo
# Viewer padding tag 0xea1c that f.jpg of vector 12 certainly carries is absent there).

_IMAGE_TAGS = {  # IFD0 and IFD1 (Exif.Image / Exif.Thumbnail)
    0x000b: "ProcessingSoftware", 0x00fe: "NewSubfileType", 0x00ff: "SubfileType",
    0x0100: "ImageWidth", 0x0101: "ImageLength", 0x0102: "BitsPerSample",
    0x0103: "Compression", 0x0106: "PhotometricInterpretation", 0x0107: "Threshholding",
    0x0108: "CellWidth", 0x0109: "CellLength", 0x010a: "FillOrder", 0x010d: "DocumentName",
    0x010e: "ImageDescription", 0x010f: "Make", 0x0110: "Model", 0x0111: "StripOffsets",
    0x0112: "Orientation", 0x0115: "SamplesPerPixel", 0x0116: "RowsPerStrip",
    0x0117: "StripByteCounts", 0x011a: "XResolution", 0x011b: "YResolution",
    0x011c: "PlanarConfiguration", 0x0122: "GrayResponseUnit", 0x0123: "GrayResponseCurve",
    0x0124: "T4Options", 0x0125: "T6Options", 0x0128: "ResolutionUnit",
    0x012d: "TransferFunction", 0x0131: "Software", 0x0132: "DateTime", 0x013b: "Artist",
    0x013c: "HostComputer", 0x013d: "Predictor", 0x013e: "WhitePoint",
    0x013f: "PrimaryChromaticities", 0x0140: "ColorMap", 0x0141: "HalftoneHints",
    0x0142: "TileWidth", 0x0143: "TileLength", 0x0144: "TileOffsets",
    0x0145: "TileByteCounts", 0x014a: "SubIFDs", 0x014c: "InkSet", 0x014d: "InkNames",
    0x014e: "NumberOfInks", 0x0150: "DotRange", 0x0151: "TargetPrinter",
    0x0152: "ExtraSamples", 0x0153: "SampleFormat", 0x0154: "SMinSampleValue",
    0x0155: "SMaxSampleValue", 0x0156: "TransferRange", 0x0157: "ClipPath",
    0x0158: "XClipPathUnits", 0x0159: "YClipPathUnits", 0x015a: "Indexed",
    0x015b: "JPEGTables", 0x015f: "OPIProxy", 0x0200: "JPEGProc",
    0x0201: "JPEGInterchangeFormat", 0x0202: "JPEGInterchangeFormatLength",
    0x0203: "JPEGRestartInterval", 0x0205: "JPEGLosslessPredictors",
    0x0206: "JPEGPointTransforms", 0x0207: "JPEGQTables", 0x0208: "JPEGDCTables",
    0x0209: "JPEGACTables", 0x0211: "YCbCrCoefficients", 0x0212: "YCbCrSubSampling",
    0x0213: "YCbCrPositioning", 0x0214: "ReferenceBlackWhite", 0x02bc: "XMLPacket",
    0x4746: "Rating", 0x4749: "RatingPercent", 0x800d: "ImageID",
    0x828d: "CFARepeatPatternDim", 0x828e: "CFAPattern", 0x828f: "BatteryLevel",
    0x8298: "Copyright", 0x829a: "ExposureTime", 0x829d: "FNumber", 0x83bb: "IPTCNAA",
    0x8649: "ImageResources", 0x8769: "ExifTag", 0x8773: "InterColorProfile",
    0x8822: "ExposureProgram", 0x8824: "SpectralSensitivity", 0x8825: "GPSTag",
    0x8827: "ISOSpeedRatings", 0x8828: "OECF", 0x8829: "Interlace",
    0x882a: "TimeZoneOffset", 0x882b: "SelfTimerMode", 0x9003: "DateTimeOriginal",
    0x9102: "CompressedBitsPerPixel", 0x9201: "ShutterSpeedValue", 0x9202: "ApertureValue",
    0x9203: "BrightnessValue", 0x9204: "ExposureBiasValue", 0x9205: "MaxApertureValue",
    0x9206: "SubjectDistance", 0x9207: "MeteringMode", 0x9208: "LightSource",
    0x9209: "Flash", 0x920a: "FocalLength", 0x920b: "FlashEnergy",
    0x920c: "SpatialFrequencyResponse", 0x920d: "Noise", 0x920e: "FocalPlaneXResolution",
    0x920f: "FocalPlaneYResolution", 0x9210: "FocalPlaneResolutionUnit",
    0x9211: "ImageNumber", 0x9212: "SecurityClassification", 0x9213: "ImageHistory",
    0x9214: "SubjectLocation", 0x9215: "ExposureIndex", 0x9216: "TIFFEPStandardID",
    0x9217: "SensingMethod", 0x9c9b: "XPTitle", 0x9c9c: "XPComment", 0x9c9d: "XPAuthor",
    0x9c9e: "XPKeywords", 0x9c9f: "XPSubject", 0xc4a5: "PrintImageMatching",
    # DNG tags: exiv2 uses the DNG specification names.
    0xc612: "DNGVersion", 0xc613: "DNGBackwardVersion", 0xc614: "UniqueCameraModel",
    0xc615: "LocalizedCameraModel", 0xc616: "CFAPlaneColor", 0xc617: "CFALayout",
    0xc618: "LinearizationTable", 0xc619: "BlackLevelRepeatDim", 0xc61a: "BlackLevel",
    0xc61b: "BlackLevelDeltaH", 0xc61c: "BlackLevelDeltaV", 0xc61d: "WhiteLevel",
    0xc61e: "DefaultScale", 0xc61f: "DefaultCropOrigin", 0xc620: "DefaultCropSize",
    0xc621: "ColorMatrix1", 0xc622: "ColorMatrix2", 0xc623: "CameraCalibration1",
    0xc624: "CameraCalibration2", 0xc625: "ReductionMatrix1", 0xc626: "ReductionMatrix2",
    0xc627: "AnalogBalance", 0xc628: "AsShotNeutral", 0xc629: "AsShotWhiteXY",
    0xc62a: "BaselineExposure", 0xc62b: "BaselineNoise", 0xc62c: "BaselineSharpness",
    0xc62d: "BayerGreenSplit", 0xc62e: "LinearResponseLimit", 0xc62f: "CameraSerialNumber",
    0xc630: "LensInfo", 0xc631: "ChromaBlurRadius", 0xc632: "AntiAliasStrength",
    0xc633: "ShadowScale", 0xc634: "DNGPrivateData", 0xc635: "MakerNoteSafety",
    0xc65a: "CalibrationIlluminant1", 0xc65b: "CalibrationIlluminant2",
    0xc65c: "BestQualityScale", 0xc65d: "RawDataUniqueID", 0xc68b: "OriginalRawFileName",
    0xc68c: "OriginalRawFileData", 0xc68d: "ActiveArea", 0xc68e: "MaskedAreas",
    0xc68f: "AsShotICCProfile", 0xc690: "AsShotPreProfileMatrix",
    0xc691: "CurrentICCProfile", 0xc692: "CurrentPreProfileMatrix",
    0xc6bf: "ColorimetricReference", 0xc6f3: "CameraCalibrationSignature",
    0xc6f4: "ProfileCalibrationSignature", 0xc6f6: "AsShotProfileName",
    0xc6f7: "NoiseReductionApplied", 0xc6f8: "ProfileName", 0xc6f9: "ProfileHueSatMapDims",
    0xc6fa: "ProfileHueSatMapData1", 0xc6fb: "ProfileHueSatMapData2",
    0xc6fc: "ProfileToneCurve", 0xc6fd: "ProfileEmbedPolicy", 0xc6fe: "ProfileCopyright",
    0xc714: "ForwardMatrix1", 0xc715: "ForwardMatrix2", 0xc716: "PreviewApplicationName",
    0xc717: "PreviewApplicationVersion", 0xc718: "PreviewSettingsName",
    0xc719: "PreviewSettingsDigest", 0xc71a: "PreviewColorSpace", 0xc71b: "PreviewDateTime",
    0xc71c: "RawImageDigest", 0xc71d: "OriginalRawFileDigest", 0xc71e: "SubTileBlockSize",
    0xc71f: "RowInterleaveFactor", 0xc725: "ProfileLookTableDims",
    0xc726: "ProfileLookTableData", 0xc740: "OpcodeList1", 0xc741: "OpcodeList2",
    0xc74e: "OpcodeList3", 0xc761: "NoiseProfile",
}

_EXIF_TAGS = {  # Exif sub-IFD (Exif.Photo)
    0x829a: "ExposureTime", 0x829d: "FNumber", 0x8822: "ExposureProgram",
    0x8824: "SpectralSensitivity", 0x8827: "ISOSpeedRatings", 0x8828: "OECF",
    0x8830: "SensitivityType", 0x8831: "StandardOutputSensitivity",
    0x8832: "RecommendedExposureIndex", 0x8833: "ISOSpeed", 0x8834: "ISOSpeedLatitudeyyy",
    0x8835: "ISOSpeedLatitudezzz", 0x9000: "ExifVersion", 0x9003: "DateTimeOriginal",
    0x9004: "DateTimeDigitized", 0x9010: "OffsetTime", 0x9011: "OffsetTimeOriginal",
    0x9012: "OffsetTimeDigitized", 0x9101: "ComponentsConfiguration",
    0x9102: "CompressedBitsPerPixel", 0x9201: "ShutterSpeedValue", 0x9202: "ApertureValue",
    0x9203: "BrightnessValue", 0x9204: "ExposureBiasValue", 0x9205: "MaxApertureValue",
    0x9206: "SubjectDistance", 0x9207: "MeteringMode", 0x9208: "LightSource",
    0x9209: "Flash", 0x920a: "FocalLength", 0x9214: "SubjectArea", 0x927c: "MakerNote",
    0x9286: "UserComment", 0x9290: "SubSecTime", 0x9291: "SubSecTimeOriginal",
    0x9292: "SubSecTimeDigitized", 0x9400: "Temperature", 0x9401: "Humidity",
    0x9402: "Pressure", 0x9403: "WaterDepth", 0x9404: "Acceleration",
    0x9405: "CameraElevationAngle", 0xa000: "FlashpixVersion", 0xa001: "ColorSpace",
    0xa002: "PixelXDimension", 0xa003: "PixelYDimension", 0xa004: "RelatedSoundFile",
    0xa005: "InteroperabilityTag", 0xa20b: "FlashEnergy", 0xa20c: "SpatialFrequencyResponse",
    0xa20e: "FocalPlaneXResolution", 0xa20f: "FocalPlaneYResolution",
    0xa210: "FocalPlaneResolutionUnit", 0xa214: "SubjectLocation", 0xa215: "ExposureIndex",
    0xa217: "SensingMethod", 0xa300: "FileSource", 0xa301: "SceneType",
    0xa302: "CFAPattern", 0xa401: "CustomRendered", 0xa402: "ExposureMode",
    0xa403: "WhiteBalance", 0xa404: "DigitalZoomRatio", 0xa405: "FocalLengthIn35mmFilm",
    0xa406: "SceneCaptureType", 0xa407: "GainControl", 0xa408: "Contrast",
    0xa409: "Saturation", 0xa40a: "Sharpness", 0xa40b: "DeviceSettingDescription",
    0xa40c: "SubjectDistanceRange", 0xa420: "ImageUniqueID", 0xa430: "CameraOwnerName",
    0xa431: "BodySerialNumber", 0xa432: "LensSpecification", 0xa433: "LensMake",
    0xa434: "LensModel", 0xa435: "LensSerialNumber", 0xa460: "CompositeImage",
    0xa461: "SourceImageNumberOfCompositeImage",
    0xa462: "SourceExposureTimesOfCompositeImage", 0xa500: "Gamma",
}

_GPS_TAGS = {  # GPS IFD (Exif.GPSInfo); identical to Pillow's GPSTAGS names
    0x00: "GPSVersionID", 0x01: "GPSLatitudeRef", 0x02: "GPSLatitude",
    0x03: "GPSLongitudeRef", 0x04: "GPSLongitude", 0x05: "GPSAltitudeRef",
    0x06: "GPSAltitude", 0x07: "GPSTimeStamp", 0x08: "GPSSatellites", 0x09: "GPSStatus",
    0x0a: "GPSMeasureMode", 0x0b: "GPSDOP", 0x0c: "GPSSpeedRef", 0x0d: "GPSSpeed",
    0x0e: "GPSTrackRef", 0x0f: "GPSTrack", 0x10: "GPSImgDirectionRef",
    0x11: "GPSImgDirection", 0x12: "GPSMapDatum", 0x13: "GPSDestLatitudeRef",
    0x14: "GPSDestLatitude", 0x15: "GPSDestLongitudeRef", 0x16: "GPSDestLongitude",
    0x17: "GPSDestBearingRef", 0x18: "GPSDestBearing", 0x19: "GPSDestDistanceRef",
    0x1a: "GPSDestDistance", 0x1b: "GPSProcessingMethod", 0x1c: "GPSAreaInformation",
    0x1d: "GPSDateStamp", 0x1e: "GPSDifferential", 0x1f: "GPSHPositioningError",
}

_IOP_TAGS = {  # Interoperability IFD (Exif.Iop)
    0x0001: "InteroperabilityIndex", 0x0002: "InteroperabilityVersion",
    0x1000: "RelatedImageFileFormat", 0x1001: "RelatedImageWidth",
    0x1002: "RelatedImageLength",
}

_TABLES = {"image": _IMAGE_TAGS, "exif": _EXIF_TAGS, "gps": _GPS_TAGS, "iop": _IOP_TAGS,
           "thumbnail": _IMAGE_TAGS}

# Pillow's ExifTags.TAGS name -> exiv2 name, for every name that differs. For callers that
# hold a Pillow ``Image.Exif``; this module itself looks names up by tag number.
PILLOW_TO_EXIV2 = {
    "Thresholding": "Threshholding",                      # 0x0107
    "JpegIFOffset": "JPEGInterchangeFormat",               # 0x0201
    "JpegIFByteCount": "JPEGInterchangeFormatLength",      # 0x0202
    "JpegRestartInterval": "JPEGRestartInterval",          # 0x0203
    "JpegLosslessPredictors": "JPEGLosslessPredictors",    # 0x0205
    "JpegPointTransforms": "JPEGPointTransforms",          # 0x0206
    "JpegQTables": "JPEGQTables",                          # 0x0207
    "JpegDCTables": "JPEGDCTables",                        # 0x0208
    "JpegACTables": "JPEGACTables",                        # 0x0209
    "ExifOffset": "ExifTag",                               # 0x8769
    "GPSInfo": "GPSTag",                                   # 0x8825
    "TIFF/EPStandardID": "TIFFEPStandardID",               # 0x9216
    "SubsecTime": "SubSecTime",                            # 0x9290
    "SubsecTimeOriginal": "SubSecTimeOriginal",            # 0x9291
    "SubsecTimeDigitized": "SubSecTimeDigitized",          # 0x9292
    "AmbientTemperature": "Temperature",                   # 0x9400
    "FlashPixVersion": "FlashpixVersion",                  # 0xa000
    "ExifImageWidth": "PixelXDimension",                   # 0xa002
    "ExifImageHeight": "PixelYDimension",                  # 0xa003
    "ExifInteroperabilityOffset": "InteroperabilityTag",   # 0xa005
    "CompositeImageCount": "SourceImageNumberOfCompositeImage",      # 0xa461
    "CompositeImageExposureTimes": "SourceExposureTimesOfCompositeImage",  # 0xa462
    "InteropIndex": "InteroperabilityIndex",               # 0x0001 (Interop IFD)
    # Pillow names 0x9214 "SubjectLocation" in every IFD; in the Exif IFD exiv2 calls it
    # "SubjectArea" (exiv2's "SubjectLocation" there is 0xa214). Not a plain rename, so
    # it is not listed here.
}
# Pillow names with no exiv2 0.27 counterpart (dropped from info): MinSampleValue 0x0118,
# MaxSampleValue 0x0119, PageName 0x011d, FreeOffsets 0x0120, FreeByteCounts 0x0121,
# PageNumber 0x0129, FrameRate 0xc764.

# Embedded blobs: exiv2 would print them as thousands of byte values, which is neither
# useful nor confirmed to be what OSS sends.
_OMITTED = {
    ("exif", 0x927c),                       # MakerNote
    ("image", 0x02bc), ("image", 0x83bb),   # XMLPacket, IPTCNAA
    ("image", 0x8649), ("image", 0x8773),   # ImageResources, InterColorProfile
    ("image", 0xc4a5), ("image", 0xc634),   # PrintImageMatching, DNGPrivateData
}

# TIFF field types: byte size of one value.
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FMT = {3: "H", 4: "I", 8: "h", 9: "i", 13: "I", 11: "f", 12: "d"}
_MAX_IFD_ENTRIES = 1000


class _Tiff:
    """Bounds-checked reader of a classic (non-Big) TIFF structure."""

    def __init__(self, buf: bytes) -> None:
        if buf[:4] == b"II*\0":
            self.e = "<"
        elif buf[:4] == b"MM\0*":
            self.e = ">"
        else:
            raise ValueError("not a TIFF header")
        self.buf = buf
        self.first = self.u32(4)

    def u16(self, off: int) -> int:
        return struct.unpack_from(self.e + "H", self.buf, off)[0]

    def u32(self, off: int) -> int:
        return struct.unpack_from(self.e + "I", self.buf, off)[0]

    def ifd(self, off: int) -> tuple[dict[int, tuple[int, int, bytes]], int]:
        """Entries ``tag -> (type, count, raw bytes)`` and the next-IFD offset."""
        buf = self.buf
        if off < 8 or off + 2 > len(buf):
            return {}, 0
        n = self.u16(off)
        if n > _MAX_IFD_ENTRIES:
            return {}, 0
        entries: dict[int, tuple[int, int, bytes]] = {}
        for i in range(n):
            p = off + 2 + 12 * i
            if p + 12 > len(buf):
                return entries, 0
            tag, typ, count = struct.unpack_from(self.e + "HHI", buf, p)
            size = _TYPE_SIZE.get(typ)
            if size is None:
                continue
            total = size * count
            if total <= 4:
                raw = buf[p + 8:p + 8 + total]
            else:
                at = self.u32(p + 8)
                if at + total > len(buf):
                    continue  # points past the end: exiv2 drops such entries too
                raw = buf[at:at + total]
            entries.setdefault(tag, (typ, count, raw))
        q = off + 2 + 12 * n
        return entries, (self.u32(q) if q + 4 <= len(buf) else 0)

    def pointer(self, entries: dict, tag: int) -> int | None:
        entry = entries.get(tag)
        if entry is None or entry[0] not in (4, 13) or entry[1] < 1:
            return None
        return struct.unpack_from(self.e + "I", entry[2], 0)[0]


def _exif_groups(buf: bytes, *, thumbnail: bool) -> tuple[list[tuple[str, dict]], str]:
    """The IFDs of an EXIF/TIFF structure in merge order, and its byte order."""
    t = _Tiff(buf)
    ifd0, next_off = t.ifd(t.first)
    groups: list[tuple[str, dict]] = [("image", ifd0)]
    exif_off = t.pointer(ifd0, 0x8769)
    if exif_off is not None:
        exif, _ = t.ifd(exif_off)
        groups.append(("exif", exif))
        iop_off = t.pointer(exif, 0xa005)
        if iop_off is not None:
            groups.append(("iop", t.ifd(iop_off)[0]))
    gps_off = t.pointer(ifd0, 0x8825)
    if gps_off is not None:
        groups.append(("gps", t.ifd(gps_off)[0]))
    # In a TIFF file the next IFD is the second page, not a thumbnail.
    if thumbnail and next_off and next_off != t.first:
        groups.append(("thumbnail", t.ifd(next_off)[0]))
    return groups, t.e


def tiff_from_exif_blob(blob: bytes) -> bytes | None:
    if blob.startswith(b"Exif\0\0"):
        blob = blob[6:]
    if blob[:4] in (b"II*\0", b"MM\0*"):
        return blob
    # HEIF Exif items start with a big-endian offset to the TIFF header.
    if len(blob) >= 8:
        skip = 4 + int.from_bytes(blob[:4], "big")
        rest = blob[skip:]
        if rest.startswith(b"Exif\0\0"):
            rest = rest[6:]
        if rest[:4] in (b"II*\0", b"MM\0*"):
            return rest
    return None


def _ints(typ: int, raw: bytes, e: str) -> tuple:
    fmt = _INT_FMT[typ]
    return struct.unpack(e + fmt * (len(raw) // struct.calcsize(fmt)), raw)


def _rationals(typ: int, raw: bytes, e: str) -> list[tuple[int, int]]:
    vals = struct.unpack(e + ("I" if typ == 5 else "i") * (len(raw) // 4), raw)
    return list(zip(vals[0::2], vals[1::2]))


def _decode_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _to_string(typ: int, raw: bytes, e: str) -> str:
    """exiv2 ``Value::toString`` for one TIFF field."""
    if typ == 2:
        return _decode_text(raw.rstrip(b"\0"))
    if typ in (1, 6, 7):
        return " ".join(str(b) for b in raw)
    if typ in (5, 10):
        return " ".join(f"{n}/{d}" for n, d in _rationals(typ, raw, e))
    if typ in (11, 12):
        return " ".join(format(v, "g") for v in _ints(typ, raw, e))
    return " ".join(str(v) for v in _ints(typ, raw, e))


def print_degrees(terms: Iterable[tuple[int, int]]) -> str:
    """exiv2 (<= 0.27) ``printDegrees`` for a GPS coordinate of three rationals.

    Trailing zero terms are dropped (minutes and seconds, but never degrees); a whole
    term prints without decimals, a fractional one with 7/5/3 decimals for
    deg/min/sec; every term is followed by a space: ``31deg 55' 3.870" ``, ``0deg ``.
    """
    terms = list(terms)
    raw = " ".join(f"{n}/{d}" for n, d in terms)
    if len(terms) != 3:
        return raw
    last = 0
    for i in (2, 1):
        if terms[i][0] != 0:
            last = i
            break
    out = []
    for i, (unit, prec) in enumerate((("deg", 7), ("'", 5), ('"', 3))):
        if i > last:
            break
        n, d = terms[i]
        if d == 0:
            return "".join(out) + f"({raw})"
        p = 0 if n % d == 0 else prec
        out.append(f"{n / d:.{p}f}{unit} ")
    return "".join(out)


_LAT_REF = {ord("N"): "North", ord("S"): "South"}
_LON_REF = {ord("E"): "East", ord("W"): "West"}
_COMMENT_CHARSETS = {b"ASCII\0\0\0": "Ascii", b"JIS\0\0\0\0\0": "Jis", b"UNICODE\0": "Unicode"}


def _user_comment(raw: bytes, e: str) -> str:
    """exiv2 0.27 ``CommentValue`` text: ``charset="Ascii" text``."""
    if len(raw) < 8:
        return ""
    charset = _COMMENT_CHARSETS.get(raw[:8])
    body = raw[8:]
    if charset == "Unicode":
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = body.decode("utf-16", "replace")
        else:
            text = body.decode("utf-16-le" if e == "<" else "utf-16-be", "replace")
        text = text.rstrip("\0")
    else:
        cut = body.find(b"\0")
        text = _decode_text(body if cut < 0 else body[:cut])
    return f'charset="{charset}" {text}' if charset else text


def _format_entry(group: str, tag: int, typ: int, raw: bytes, e: str) -> str:
    if group == "gps":
        if tag in (0x01, 0x13, 0x03, 0x15) and typ == 2:
            refs = _LAT_REF if tag in (0x01, 0x13) else _LON_REF
            name = refs.get(raw[0]) if raw else None
            return name if name else f"({_to_string(typ, raw, e)})"
        if tag in (0x02, 0x04, 0x14, 0x16) and typ in (5, 10):
            return print_degrees(_rationals(typ, raw, e))
    if group == "exif" and tag == 0x9286 and typ in (7, 1, 2):
        return _user_comment(raw, e)
    return _to_string(typ, raw, e)


def exif_fields(tiff: bytes, *, thumbnail: bool) -> dict[str, str]:
    try:
        groups, e = _exif_groups(tiff, thumbnail=thumbnail)
    except (ValueError, struct.error):
        return {}
    fields: dict[str, str] = {}
    for group, entries in groups:
        names = _TABLES[group]
        for tag, (typ, _count, raw) in entries.items():
            name = names.get(tag)
            if name is None or (("image" if group == "thumbnail" else group), tag) in _OMITTED:
                continue
            if name in fields:  # the main image's value wins over the thumbnail's
                continue
            try:
                fields[name] = _format_entry(group, tag, typ, raw, e)
            except (struct.error, ValueError, IndexError, ZeroDivisionError):
                continue
    return fields
