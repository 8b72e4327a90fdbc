"""The sine toy: networks, targets, the streaming trainer and its admission control."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from gan_models.sine import N_POINTS, TARGETS, SineConfig, SineDiscriminator, SineGenerator, curve_x
from training.device import resolve_device
from training.limits import RunLimiter, RunRefused
from training.losses import d_loss, g_loss
from training.sine import D_LOSS_EQUILIBRIUM, FusedAdam, SineTrainConfig, SineTrainer
from training.sine_sweep import SineSweepConfig, SineSweepTrainer


def test_networks_have_the_tutorial_shapes():
    config = SineConfig(n_ideas=7)
    G, D = SineGenerator(config), SineDiscriminator(config)
    curves = G(torch.randn(64, 7))
    assert curves.shape == (64, N_POINTS)
    assert D(curves).shape == (64,)
    assert [tuple(p.shape) for p in G.parameters()] == [(128, 7), (128,), (15, 128), (15,)]
    assert [tuple(p.shape) for p in D.parameters()] == [(128, 15), (128,), (1, 128), (1,)]


@pytest.mark.parametrize("name", list(TARGETS))
def test_real_samples_lie_in_their_family(name):
    target, x = TARGETS[name], curve_x()
    rng = torch.Generator().manual_seed(0)
    samples = target.sample(500, x, rng)
    assert samples.shape == (500, N_POINTS)
    # Real curves are within the noise of a family member; a flat line is far from every family.
    assert target.distance(samples, x).mean() < 0.03
    assert target.distance(torch.zeros(1, N_POINTS), x).item() > 0.3


def test_two_mode_target_draws_both_modes_evenly():
    from gan_models.sine import mode_shares

    x = curve_x()
    up, down = mode_shares(TARGETS["two-mode"].sample(4000, x, torch.Generator().manual_seed(1)), x)
    assert abs(up - 0.5) < 0.05 and abs(down - 0.5) < 0.05


def test_losses_sit_at_their_equilibrium_when_d_is_undecided():
    zeros = torch.zeros(10)  # logit 0 = probability 0.5
    assert d_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))
    assert g_loss(zeros).item() == pytest.approx(math.log(2))


def test_tutorial_update_order_fails_and_ours_does_not():
    """Regression: the tutorial's G backward through the graph D already stepped on is rejected."""
    config = SineConfig()
    G, D = SineGenerator(config), SineDiscriminator(config)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4)
    real, fake = torch.randn(8, N_POINTS), G(torch.randn(8, 5))
    prob_real, prob_fake = torch.sigmoid(D(real)), torch.sigmoid(D(fake))
    loss_d = -torch.mean(torch.log(prob_real) + torch.log(1.0 - prob_fake))
    loss_g = torch.mean(torch.log(1.0 - prob_fake))
    opt_d.zero_grad()
    loss_d.backward(retain_graph=True)
    opt_d.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss_g.backward()

    trainer = SineTrainer(SineTrainConfig(steps=20, report_every=10))
    records = list(trainer.run())
    assert [r.step for r in records] == [10, 20]


def test_fused_adam_matches_torch_adam():
    torch.manual_seed(0)
    a, b = torch.randn(5, 3, requires_grad=True), torch.randn(5, 3, requires_grad=True)
    with torch.no_grad():
        b.copy_(a)
    reference = torch.optim.Adam([a], lr=1e-2)
    ours = FusedAdam([b], lr=1e-2)
    for _ in range(5):
        grad = torch.randn(5, 3)
        a.grad = grad.clone()
        reference.step()
        ours.step([grad.clone()])
    torch.testing.assert_close(a, b)


def _run_without_timings(seed: int) -> list[dict]:
    records = SineTrainer(SineTrainConfig(steps=60, report_every=20, seed=seed)).run()
    return [{k: v for k, v in r.to_dict().items() if k not in ("steps_per_s", "elapsed_s")} for r in records]


def test_trainer_is_deterministic_for_a_seed_and_ignores_global_rng():
    torch.manual_seed(1234)
    first = _run_without_timings(3)
    torch.randn(100)  # a different global RNG state must not change the run
    assert _run_without_timings(3) == first
    assert _run_without_timings(4) != first


def test_records_carry_everything_the_plots_need():
    records = list(SineTrainer(SineTrainConfig(steps=25, report_every=10, n_curves=3, target="two-mode")).run())
    assert [r.step for r in records] == [10, 20, 25]
    assert [r.done for r in records] == [False, False, True]
    last = records[-1]
    assert len(last.curves) == 3 and all(len(c) == N_POINTS for c in last.curves)
    assert 0 < last.d_real < 1 and 0 < last.d_fake < 1
    assert last.d_score == pytest.approx(-last.d_loss)
    assert last.mode_shares is not None and sum(last.mode_shares) == pytest.approx(1.0)


def test_run_stops_when_asked_and_at_its_time_limit():
    stop = threading.Event()
    trainer = SineTrainer(SineTrainConfig(steps=10_000, report_every=10))
    records = []
    for record in trainer.run(should_stop=stop.is_set):
        records.append(record)
        stop.set()  # stop after the first record: the next record is the last
    assert [r.step for r in records] == [10, 20] and records[-1].done

    timed = list(SineTrainer(SineTrainConfig(steps=100_000, report_every=10)).run(max_seconds=0.0))
    assert len(timed) == 1 and timed[0].done and timed[0].step == 10


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_ideas": 0}, "n_ideas"),
        ({"n_ideas": 10_000}, "n_ideas"),
        ({"steps": -5}, "steps"),
        ({"steps": 10**9}, "steps"),
        ({"batch_size": 0}, "batch size"),
        ({"lr_g": float("nan")}, "learning rate G"),
        ({"lr_d": -1e-3}, "learning rate D"),
        ({"target": "circle"}, "Unknown target"),
        ({"device": "tpu"}, "Unknown device"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_get_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        SineTrainConfig(**changes).validate()


def test_cuda_is_used_when_present_and_refused_clearly_when_not():
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == resolve_device("auto").type == "cuda"
    else:
        with pytest.raises(ValueError, match="no GPU"):
            resolve_device("cuda")
        assert resolve_device("auto").type == "cpu"
    assert resolve_device("auto", auto="cpu").type == "cpu"


def test_the_sine_toy_trains_on_the_cpu_unless_cuda_is_asked_for():
    assert SineTrainer(SineTrainConfig(steps=1)).device.type == "cpu"
    assert SineSweepTrainer(SineSweepConfig(steps=1)).device.type == "cpu"


def test_run_limiter_admits_one_run_per_session_and_caps_the_total():
    limiter = RunLimiter(max_concurrent=2)
    with limiter.slot("alice") as alice_stop:
        with pytest.raises(RunRefused, match="already going in this session"):
            with limiter.slot("alice"):
                pass
        with limiter.slot("bob"):
            with pytest.raises(RunRefused, match="limit"):
                with limiter.slot("carol"):
                    pass
        assert limiter.request_stop("alice") and alice_stop.is_set()
    assert limiter.active() == 0 and not limiter.request_stop("alice")


@pytest.mark.slow
def test_default_run_converges_on_cpu():
    """10,000 steps with the tutorial's settings on sine: D is fooled half the time and curves fit the family."""
    records = list(SineTrainer(SineTrainConfig(target="sine", device="cpu", report_every=500)).run())
    last = records[-1]
    assert last.step == 10_000
    tail = records[-4:]  # the last 2,000 steps
    mean_d_real = sum(r.d_real for r in tail) / len(tail)
    assert abs(mean_d_real - 0.5) < 0.05
    assert abs(sum(r.d_loss for r in tail) / len(tail) - D_LOSS_EQUILIBRIUM) < 0.05
    # Noise in the real curves alone is 0.016 mean abs error; an untrained G is about 0.6.
    assert last.fit_error < 0.06


def test_sweep_trains_each_size_as_its_own_tutorial_network():

    trainer = SineSweepTrainer(SineSweepConfig(sizes=(1, 3, 16), steps=30, report_every=10, n_curves=2))
    records = list(trainer.run())
    assert [r.step for r in records] == [10, 20, 30] and records[-1].done
    last = records[-1]
    assert last.sizes == [1, 3, 16] and len(last.fit_error) == 3 and len(last.curves) == 3
    assert all(len(curves) == 2 and len(curves[0]) == N_POINTS for curves in last.curves)
    # Masked input columns never move: a size-1 generator really only reads z[0].
    assert trainer.generator.w1[0, 1:].abs().max().item() == 0.0
    assert trainer.generator.w1[1, 3:].abs().max().item() == 0.0
    # Each stacked model exports as an ordinary generator that computes the same curves.
    z = torch.randn(4, 16)
    stacked = trainer.generator(z.expand(3, 4, 16).contiguous())
    for i, n in enumerate(last.sizes):
        torch.testing.assert_close(trainer.export_generator(i)(z[:, :n]), stacked[i], atol=1e-5, rtol=1e-5)


def test_sweep_models_learn_independently():
    """Batched training equals training one model alone: a model's updates do not leak into another."""
    from training.sine_sweep import SineSweepConfig, SineSweepTrainer

    both = SineSweepTrainer(SineSweepConfig(sizes=(2, 5), steps=15, report_every=15, seed=9))
    alone = SineSweepTrainer(SineSweepConfig(sizes=(2, 5), steps=15, report_every=15, seed=9))
    with torch.no_grad():  # perturb model 1 only in one of the two copies
        alone.generator.w2[1].mul_(3.0)
    list(both.run()), list(alone.run())
    # Same noise stream, same model-0 parameters: model 0 ends identical whatever model 1 did.
    torch.testing.assert_close(both.generator.w1[0], alone.generator.w1[0])
    assert not torch.allclose(both.generator.w1[1], alone.generator.w1[1])


@pytest.mark.parametrize(("sizes", "message"), [((), "different input sizes"), ((2, 2), "different input sizes"),
                                                ((0, 3), "1 to 16"), ((1, 2, 3, 4, 5, 6, 7), "different input sizes")])
def test_sweep_rejects_bad_sizes(sizes, message):
    from training.sine_sweep import SineSweepConfig

    with pytest.raises(ValueError, match=message):
        SineSweepConfig(sizes=sizes).validate()


# ---------------------------------------------------------------------------------------------
# The tab's words: default target, the sweep's verdict, how a run ended, refusals shown inline
# (fixed numbers into the functions; nothing here trains through the worker)
# ---------------------------------------------------------------------------------------------


def test_the_default_target_has_a_knob_for_the_sliders():
    import inspect

    from training.sine_sweep import SineSweepConfig
    from ui.sine_runs import DEFAULT_TARGET, train_sine

    assert DEFAULT_TARGET == "parabola"
    assert SineTrainConfig().target == SineSweepConfig().target == "parabola"
    assert inspect.signature(train_sine).parameters["target"].default == "parabola"


# Per record, one fit error per size (1, 2, 5, 16): the tie, every size 0.018-0.029 and each one
# wobbling over the same range from record to record.
TIE_HISTORY = [
    [0.30, 0.28, 0.31, 0.29],  # early records: still learning (outside the settled quarter)
    [0.10, 0.09, 0.12, 0.10],
    [0.05, 0.04, 0.05, 0.06],
    [0.03, 0.03, 0.03, 0.03],
    [0.024, 0.021, 0.027, 0.016],
    [0.019, 0.029, 0.022, 0.025],
    [0.027, 0.018, 0.020, 0.021],
    [0.022, 0.026, 0.024, 0.018],
    [0.029, 0.024, 0.018, 0.023],
    [0.018, 0.025, 0.026, 0.020],
    [0.025, 0.020, 0.021, 0.027],
    [0.021, 0.023, 0.029, 0.016],
]


def test_sweep_sizes_that_fit_within_each_others_wobble_tie():
    from training.sine_sweep import compare_sizes
    from ui.sine_text import sweep_verdict

    result = compare_sizes([1, 2, 5, 16], TIE_HISTORY)
    assert result.measured_wobble and result.settled_records == 3
    assert sorted(result.best) == [1, 2, 5, 16] and result.worse == []
    verdict = sweep_verdict("parabola", [1, 2, 5, 16], TIE_HISTORY)
    assert "Tie" in verdict and "Best fit" not in verdict
    assert "one number (a)" in verdict  # what the tie teaches on this target
    assert "no input at all" in sweep_verdict("sine", [1, 2, 5, 16], TIE_HISTORY)


def test_sweep_names_a_winner_only_when_it_is_clearly_better():
    from training.sine_sweep import compare_sizes
    from ui.sine_text import sweep_verdict

    history = TIE_HISTORY[:-3] + [[0.09, 0.07, 0.06, 0.030], [0.12, 0.08, 0.07, 0.034], [0.10, 0.06, 0.05, 0.028]]
    result = compare_sizes([1, 2, 5, 16], history)
    assert result.best == [16] and result.worse == [5, 2, 1]  # worse: in order of fit error
    verdict = sweep_verdict("parabola", [1, 2, 5, 16], history)
    assert "Best fit: n_ideas = 16" in verdict and "Tie" not in verdict
    assert "n_ideas = 1 (0.100), 2 (0.070), 5 (0.060)" in verdict


def test_sweep_ties_the_best_with_sizes_in_its_noise_and_ranks_the_rest_worse():
    from training.sine_sweep import compare_sizes
    from ui.sine_text import sweep_verdict

    history = [[0.20, 0.05, 0.040, 0.06], [0.25, 0.03, 0.045, 0.07], [0.22, 0.04, 0.050, 0.08]]
    result = compare_sizes([1, 2, 5, 16], history)
    # Too few records to measure a wobble: within 1.5x of the best ties (0.04 * 1.5 = 0.06 >= 0.045, < 0.07).
    assert not result.measured_wobble
    assert result.best == [2, 5] and result.worse == [16, 1]
    verdict = sweep_verdict("parabola", [1, 2, 5, 16], history)
    assert "Best: n_ideas = 2 and 5, tied" in verdict and "more than 1.5x the best" in verdict


def test_a_diverged_size_is_worse_and_bad_histories_are_refused():
    from training.sine_sweep import compare_sizes

    result = compare_sizes([1, 2], [[0.03, float("nan")], [0.02, float("inf")], [0.03, float("nan")]])
    assert result.best == [1] and result.worse == [2]
    with pytest.raises(ValueError, match="one fit error for each"):
        compare_sizes([1, 2], [[0.1]])
    with pytest.raises(ValueError, match="at least one record"):
        compare_sizes([1, 2], [])


def _record(step: int, elapsed: float, done: bool = True):
    from training.sine import SineRecord

    return SineRecord(step=step, d_loss=1.38, g_loss=0.69, d_real=0.5, d_fake=0.5, d_score=-1.38,
                      fit_error=0.03, curves=[[0.0] * N_POINTS], mode_shares=None, steps_per_s=1000.0,
                      elapsed_s=elapsed, done=done)


def test_a_stopped_run_says_where_it_stopped_not_done():
    from ui.sine_runs import MAX_RUN_SECONDS
    from ui.sine_text import run_readout

    stopped = run_readout(_record(500, 2.0), 10_000)
    assert "Stopped at step 500 of 10,000" in stopped and "Done" not in stopped
    capped = run_readout(_record(7_000, MAX_RUN_SECONDS + 0.5), 10_000)
    assert "Stopped at step 7,000 of 10,000" in capped and f"after {MAX_RUN_SECONDS} s" in capped
    finished = run_readout(_record(10_000, 9.0), 10_000)
    assert "**Done.**" in finished and "Stopped" not in finished
    assert "Stopped" not in run_readout(_record(500, 1.0, done=False), 10_000)


def test_a_stopped_sweep_says_where_it_stopped_and_still_gives_a_verdict():
    from training.sine_sweep import SweepRecord
    from ui.sine_views import _sweep_outputs

    history = [SweepRecord(step=10 * (i + 1), sizes=[1, 2, 5, 16], d_loss=[1.4] * 4, g_loss=[0.7] * 4,
                           d_real=[0.5] * 4, d_fake=[0.5] * 4, fit_error=row, curves=[[[0.0] * N_POINTS]] * 4,
                           steps_per_s=500.0, elapsed_s=1.0, done=i == len(TIE_HISTORY) - 1)
               for i, row in enumerate(TIE_HISTORY)]
    status = _sweep_outputs(history, "parabola", 3_000)[2]
    assert "Stopped at step 120 of 3,000" in status and "Tie" in status


def test_bad_settings_are_shown_in_the_readout_not_only_a_toast():
    from ui.sine_views import N_TRAIN_OUTPUTS, sweep_ui, train_ui

    (outputs,) = list(train_ui("parabola", 5, 0, 64, 1e-4, 1e-4, 0, "cpu", None))  # refused before any run
    assert len(outputs) == N_TRAIN_OUTPUTS
    assert outputs[3].startswith("⚠️") and "steps" in outputs[3]
    (sweep,) = list(sweep_ui([], "parabola", 5, 100, 64, 1e-4, 1e-4, 0, "cpu", None))
    assert sweep[2].startswith("⚠️") and "input sizes" in sweep[2]


def test_slider_values_are_checked_and_refusals_stay_by_the_sliders():
    from ui.sine_views import MAX_IDEAS, check_z, random_z, sine_curve

    before = sine_curve(None, *[0.0] * MAX_IDEAS)
    assert "Train the generator first" in before[1] and "⚠️" in before[1]
    assert "Train the generator first" in random_z(None, 1)[-1]
    trainer = SineTrainer(SineTrainConfig(n_ideas=2, steps=1))
    from training.sine import trained_state

    state = trained_state(trainer)
    assert check_z(state, (0.5, -1.0, 9.0)) == [0.5, -1.0]  # only the trained model's dimensions count
    for z, message in [((0.5,), "Need 2"), ((0.5, float("nan")), "z\\[1\\] must be a finite"),
                       ((0.5, 3.5), "between -3 and 3"), (("x", 0.0), "z\\[0\\] must be a finite")]:
        with pytest.raises(ValueError, match=message):
            check_z(state, z)
    plot, note = sine_curve(state, 1.0, 0.0)
    assert "trained on **parabola** with n_ideas = 2" in note and "⚠️" not in note
    _, refused = sine_curve(state, 1.0, 4.0)
    assert "⚠️" in refused and "between -3 and 3" in refused


def test_a_sweep_still_learning_at_its_end_says_so():
    from ui.sine_text import sweep_verdict

    falling = [[0.5 - 0.01 * i, 0.3, 0.3 + 0.001 * (i % 2)] for i in range(40)]  # size 1 falls steadily
    verdict = sweep_verdict("parabola", [1, 2, 5], falling)
    assert "n_ideas = 1 was still falling" in verdict
    assert "still falling" not in sweep_verdict("parabola", [1, 2, 5, 16], TIE_HISTORY * 3)
