import torch

from sentiment.threads import ENV, cores, set_threads


def test_threads_share_the_cores_among_workers(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv(ENV, raising=False)
        assert set_threads(workers=1) == cores() == torch.get_num_threads()
        assert set_threads(workers=2) == max(1, cores() // 2) == torch.get_num_threads()
        assert set_threads(workers=10 * cores()) == 1
        monkeypatch.setenv(ENV, "3")
        assert set_threads(workers=2) == 3 == torch.get_num_threads()  # the environment overrides the division
        assert set_threads(workers=2, requested=1) == 1  # and a flag overrides the environment
    finally:
        torch.set_num_threads(before)
