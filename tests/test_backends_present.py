"""Every backend loads. Under './dev test' (CI) a missing backend fails here, loudly, by name."""


def test_torch_imports(torch):
    assert torch.__version__.startswith("2.13.0")


def test_mindspore_imports_and_runs_an_op(ms):
    import numpy as np

    # Under numpy 2 the first MindSpore op of a process raises SystemError: run one.
    out = ms.ops.add(ms.Tensor(np.ones(2, np.float32)), 1.0).asnumpy()
    assert out.tolist() == [2.0, 2.0]
    assert ms.__version__ == "2.10.0"


def test_oneflow_worker_answers(oneflow):
    info = oneflow({"op": "ping"})
    assert info["oneflow"] == "0.9.0"
    assert info["python"].startswith("3.10")
