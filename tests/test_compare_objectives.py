"""compare-losses with every objective (issue 15) and the generator-gradient figure."""

import numpy as np
import pytest

from minigan import plots
from minigan.cli import main
from minigan.experiments.gaussian_1d import ALL_LOSSES, CompareConfig, compare_losses, summarise
from minigan.functions import sigmoid
from minigan.trainers import generator_gradient_curves


def test_default_losses_unchanged_and_all_expands():
    assert CompareConfig().validate().losses == ("saturating", "non_saturating")
    assert CompareConfig(losses=("all",)).validate().losses == ALL_LOSSES
    assert CompareConfig(losses=("LSGAN", "wgan-gp")).validate().losses == ("lsgan", "wgan_gp")
    with pytest.raises(ValueError, match="must be among"):
        CompareConfig(losses=("wasserstein",)).validate()
    with pytest.raises(ValueError, match="lam"):
        CompareConfig(lam=-1.0).validate()


def test_new_objectives_run_in_the_comparison():
    c = CompareConfig(steps=6, seeds=1, pretrain_d=5, eval_every=3, eval_samples=200, early_steps=3,
                      losses=("hinge", "fgan_kl", "wgan_clip", "wgan_gp"))
    results = compare_losses(c, progress=False)
    for runs in results["runs"].values():
        run = runs[0]
        assert len(run["history"]["g_grad_norm"]) == 6 and np.isfinite(run["early_g_grad_norm"])
        assert run["snapshots"][0]["D"] is None  # none of these D is a probability
        assert run["snapshots"][0]["score"].shape == run["snapshots"][0]["x"].shape
    table = summarise(results)["losses"]
    # a critic's "d_fake" is its mean score on the fakes, -L_G
    wgan = results["runs"]["wgan_gp"][0]["history"]
    np.testing.assert_array_equal(wgan["d_fake"], -wgan["g_loss"])
    assert set(table) == {"hinge", "fgan_kl", "wgan_clip", "wgan_gp"}


def test_generator_gradient_curves_are_the_formulas():
    s = np.linspace(-6, 6, 13)
    c = generator_gradient_curves(s)
    np.testing.assert_allclose(c["saturating"]["grad"], -sigmoid(s), rtol=1e-12)
    np.testing.assert_allclose(c["non_saturating"]["grad"], -sigmoid(-s), rtol=1e-12)
    np.testing.assert_allclose(c["fgan_gan"]["grad"], c["non_saturating"]["grad"], rtol=1e-12)
    np.testing.assert_allclose(c["lsgan"]["grad"], s - 1, rtol=1e-12)       # c = 1
    np.testing.assert_allclose(c["lsgan_theorem1"]["grad"], s, rtol=1e-12)  # c = 0
    np.testing.assert_allclose(c["hinge"]["grad"], -1.0)
    np.testing.assert_allclose(c["fgan_kl"]["grad"], -1.0)                   # -g_f'(v), g_f = identity
    np.testing.assert_allclose(c["fgan_reverse_kl"]["grad"], -np.exp(-s), rtol=1e-12)
    np.testing.assert_allclose(c["wgan"]["grad"], -1.0)
    assert [k for k, v in c.items() if v["probability"]] == ["saturating", "non_saturating", "fgan_gan"]
    fig = plots.generator_gradients(c)
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == len(c) and len(fig.axes[0].lines) == 3


def test_cli_all_losses_writes_the_gradient_figure(tmp_path, capsys):
    out = tmp_path / "cl"
    assert main(["compare-losses", "--losses", "hinge,saturating", "--steps", "3", "--seeds", "1",
                 "--no-progress", "--out", str(out)]) == 0
    assert (out / "generator_gradients.png").exists() and (out / "figure1.png").exists()
    assert "hinge" in capsys.readouterr().out
