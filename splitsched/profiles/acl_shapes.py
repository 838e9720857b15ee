"""Output tensor shapes of the hope-acl small models, from their published architectures.

hope-acl has no ``info.txt`` (and no ``.dot`` for these models), so tensor
sizes come from the standard definitions the ARM Compute Library graph
examples run: AlexNet (Caffe BVLC, 227x227 input), SqueezeNet v1.0 (227x227),
MobileNet v1 1.0 (224x224, 1001 classes) and MobileNet v2 1.0 (224x224, 1001
classes). Shapes are (C, H, W) per operator name; ``inputs`` lists the extra
(non-chain) readers needed for branches and residual adds.
"""

from __future__ import annotations

from splitsched.profiles.raw import Shape


def _alexnet() -> dict[str, Shape]:
    return {"conv1": (96, 55, 55), "norm1": (96, 55, 55), "pool1": (96, 27, 27),
            "conv2": (256, 27, 27), "norm2": (256, 27, 27), "pool2": (256, 13, 13),
            "conv3": (384, 13, 13), "conv4": (384, 13, 13), "conv5": (256, 13, 13),
            "pool5": (256, 6, 6), "fc6": (4096,), "fc7": (4096,), "fc8": (1000,),
            "prob": (1000,)}


def _squeezenet() -> dict[str, Shape]:
    shapes: dict[str, Shape] = {"conv1": (96, 111, 111), "pool1": (96, 55, 55)}
    fires = {2: (16, 64, 55), 3: (16, 64, 55), 4: (32, 128, 55), 5: (32, 128, 27),
             6: (48, 192, 27), 7: (48, 192, 27), 8: (64, 256, 27), 9: (64, 256, 13)}
    for i, (squeeze, expand, hw) in fires.items():
        shapes[f"fire{i}/squeeze1x1"] = (squeeze, hw, hw)
        shapes[f"fire{i}/expand1x1"] = (expand, hw, hw)
        shapes[f"fire{i}/expand3x3"] = (expand, hw, hw)
        shapes[f"fire{i}/concat"] = (2 * expand, hw, hw)
    shapes.update({"pool4": (256, 27, 27), "pool8": (512, 13, 13), "conv10": (1000, 13, 13),
                   "pool10": (1000, 1, 1), "flatten": (1000,), "prob": (1000,)})
    return shapes


def _mobilenet() -> dict[str, Shape]:
    shapes: dict[str, Shape] = {"Conv2d_0": (32, 112, 112)}
    # (output channels of the pointwise conv, stride of the depthwise conv), blocks 1..13
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
              (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    channels, hw = 32, 112
    for i, (out_c, stride) in enumerate(blocks, start=1):
        hw //= stride
        shapes[f"Conv2d_{i}_depthwise/depthwise"] = (channels, hw, hw)
        shapes[f"Conv2d_{i}_pointwise/Conv2D"] = (out_c, hw, hw)
        channels = out_c
    shapes.update({"Logits/AvgPool_1a": (1024, 1, 1), "Logits/Conv2d_1c_1x1": (1001, 1, 1),
                   "Reshape": (1001,), "Softmax": (1001,)})
    return shapes


_V2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
              (6, 160, 3, 2), (6, 320, 1, 1)]
"""MobileNet v2 (expansion t, output channels c, repeats n, first stride s)."""


def _mobilenet_v2() -> tuple[dict[str, Shape], dict[str, tuple[str, ...]]]:
    shapes: dict[str, Shape] = {"Conv+Conv/BatchNorm": (32, 112, 112)}
    extra: dict[str, tuple[str, ...]] = {}
    channels, hw, index = 32, 112, 0
    block_out = "Conv+Conv/BatchNorm"
    for t, c, n, s in _V2_BLOCKS:
        for rep in range(n):
            stride = s if rep == 0 else 1
            prefix = "expanded_conv" if index == 0 else f"expanded_conv_{index}"
            first = f"{prefix}/expand/Conv2D+{prefix}/expand/BatchNorm"
            if t != 1:
                shapes[first] = (channels * t, hw, hw)
            else:
                first = f"{prefix}/depthwise/depthwise+{prefix}/depthwise/BatchNorm"
            hw //= stride
            shapes[f"{prefix}/depthwise/depthwise+{prefix}/depthwise/BatchNorm"] = (
                channels * t, hw, hw)
            project = f"{prefix}/project/Conv2D+{prefix}/project/BatchNorm"
            shapes[project] = (c, hw, hw)
            out = project
            if stride == 1 and channels == c:
                out = f"{prefix}/add"
                shapes[out] = (c, hw, hw)
                extra[out] = (block_out,)  # the residual reads the block's input
            channels, block_out, index = c, out, index + 1
    shapes.update({"Conv_1+Conv_1/BatchNorm": (1280, 7, 7), "Logits/AvgPool": (1280, 1, 1),
                   "Logits/Conv2d_1c_1x1": (1001, 1, 1), "Predictions/Reshape": (1001,),
                   "Predictions/Softmax": (1001,)})
    return shapes, extra


def acl_shapes(model: str) -> tuple[dict[str, Shape], dict[str, tuple[str, ...]]] | None:
    """(output shape per op name, extra producers each op reads) or ``None`` if unknown.

    Every op reads its predecessor in the chain; ``extra`` adds the branch and
    residual inputs (SqueezeNet's expand3x3 reads squeeze1x1, concat reads
    expand1x1; MobileNet v2's add reads its block's input).
    """
    if model == "acl-alexnet":
        return _alexnet(), {}
    if model == "acl-squeezenet":
        shapes = _squeezenet()
        extra: dict[str, tuple[str, ...]] = {}
        for i in range(2, 10):
            extra[f"fire{i}/expand3x3"] = (f"fire{i}/squeeze1x1",)
            extra[f"fire{i}/concat"] = (f"fire{i}/expand1x1",)
        return shapes, extra
    if model == "acl-mobilenet":
        return _mobilenet(), {}
    if model == "acl-mobilenet_v2":
        return _mobilenet_v2()
    return None
