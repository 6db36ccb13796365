"""``nnblocks graph``, ``nnblocks train --tensorboard``: end to end through the CLI."""

from __future__ import annotations

from nnblocks.cli.main import main
from tests.train.test_tensorboard import event_reader
from tests.viz.conftest import require_program


def test_graph_of_zoo_models_as_dot(tmp_path, capsys):
    out = tmp_path / "mlp.dot"
    assert main(["graph", "--model", "mlp", "--format", "dot", "--out", str(out)]) == 0
    source = out.read_text()
    assert source.startswith("digraph nnblocks {")
    assert source.count('"Linear\\n(fused)"') == 2 and "CrossEntropy" in source
    assert 'label="net.0.weight\\n(128, 64) float32"' in source      # 8x8 digits -> 128
    assert f"-> {out}" in capsys.readouterr().out
    unfolded = tmp_path / "rnn.dot"
    assert main(["graph", "--model", "rnn", "--unfold", "--out", str(unfolded)]) == 0
    text = unfolded.read_text()
    assert "GRULayer unfolded, T = 8" in text and text.count("shared by 8 blocks") == 4


def test_graph_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["graph"]) == 1
    assert "give a run directory (or checkpoint), or --model NAME" in capsys.readouterr().err
    assert main(["graph", str(tmp_path), "--model", "mlp"]) == 1
    capsys.readouterr()
    assert main(["graph", "--model", "mlp", "--out", str(tmp_path / "g.xyz")]) == 1
    assert "unknown format 'xyz'" in capsys.readouterr().err


def test_train_with_tensorboard_then_graph_of_the_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(run), "--quiet",
                 "--tensorboard"]) == 0
    reader = event_reader(run / "tensorboard")
    steps = len(reader.Scalars("train/loss"))
    assert steps > 0 and [e.step for e in reader.Scalars("epoch/loss")] == [1, 2]
    assert len(reader.Scalars("grad_norm/net.0.weight")) == steps
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = reader.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hp = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hp["dataset"].string_value == "xor" and hp["model"].string_value == "mlp"
    assert hp["epochs"].number_value == 2
    require_program("dot", "rendering the run's graph")
    assert main(["graph", str(run)]) == 0
    svg = (run / "graph.svg").read_text()
    assert "<svg" in svg and "Linear" in svg


def test_tensorboard_flag_parses(tmp_path):
    from nnblocks.cli.main import build_parser

    args = build_parser().parse_args(["train", "--tensorboard"])
    assert args.tensorboard == ""
    args = build_parser().parse_args(["train", "--tensorboard", str(tmp_path)])
    assert args.tensorboard == str(tmp_path)
    assert build_parser().parse_args(["train"]).tensorboard is None
