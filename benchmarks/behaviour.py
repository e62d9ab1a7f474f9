"""Behavioural checks in the manner of CheckList (Ribeiro et al. 2020): small template suites written for this
project, one per capability, each with its pass rate for a model (and, for pairs, how far the variant moves
P(positive) on average). A sanity check to report, never training data."""

import argparse
import itertools

from common import ROOT  # noqa: F401 - puts the project on the import path
from sentiment import load_model

GOOD = ["good", "great", "wonderful", "excellent", "enjoyable", "brilliant", "funny", "moving"]
BAD = ["bad", "awful", "terrible", "boring", "dull", "dreadful", "poor", "painful"]
THINGS = ["film", "movie", "story", "acting", "script", "ending"]


def labelled() -> dict[str, list[tuple[str, int]]]:
    """Capabilities checked by the verdict alone: (text, expected label: 1 positive, 0 negative)."""
    return {
        "negated positive -> negative": [(f"The {t} was not {w}.", 0) for t, w in itertools.product(THINGS[:4], GOOD)],
        "negated negative -> positive": [(f"The {t} was not {w} at all.", 1)
                                         for t, w in itertools.product(THINGS[:4], BAD)]
                                        + [("Not bad at all.", 1),
                                           ("I expected to hate it, but honestly it was not bad at all.", 1)],
        "contrast: the clause after 'but' decides": (
            [(f"The {t} is {g}, but overall the film is {b}.", 0) for t, g, b in zip(THINGS, GOOD, BAD)]
            + [(f"The {t} is {b}, but overall the film is {g}.", 1) for t, g, b in zip(THINGS, GOOD, BAD)]
            + [(f"I thought it would be {b}, but it turned out {g}.", 1) for g, b in zip(GOOD, BAD)]
            + [(f"I thought it would be {g}, but it turned out {b}.", 0) for g, b in zip(GOOD, BAD)]),
    }


def article(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def pairs() -> dict[str, list[tuple[str, str, str]]]:
    """Capabilities checked on pairs: (base, variant, relation): 'same' label, or the variant 'stronger' (further
    from 0.5 on the same side) or 'weaker' (closer to it)."""
    filler = ["I watched it on a Tuesday.", "My cousin came with me.", "The cinema was half full.",
              "It is two hours long."]
    identities = ["Christian", "Muslim", "Jewish", "Hindu", "atheist", "Black", "white", "Asian", "Mexican",
                  "American", "Nigerian", "gay", "straight", "lesbian"]
    typos = {"wonderful": "wonderfull", "excellent": "excelent", "brilliant": "brillant", "terrible": "terible",
             "awful": "awfull", "boring": "borring", "enjoyable": "enjoyible", "dreadful": "dredful"}
    return {
        "intensifier makes it stronger": [(f"The {t} was {w}.", f"The {t} was extremely {w}.", "stronger")
                                          for t, w in itertools.product(THINGS[:3], GOOD + BAD)],
        "downtoner makes it weaker": [(f"The {t} was {w}.", f"The {t} was somewhat {w}.", "weaker")
                                      for t, w in itertools.product(THINGS[:3], GOOD + BAD)],
        "neutral filler keeps the verdict": [(f"The {t} was {w}.", f"The {t} was {w}. {f}", "same")
                                             for t, w, f in zip(itertools.cycle(THINGS), GOOD + BAD,
                                                                itertools.cycle(filler))],
        "a typo in the sentiment word keeps the verdict": [(f"The {t} was {w}.", f"The {t} was {typo}.", "same")
                                                           for t, (w, typo) in itertools.product(THINGS[:3],
                                                                                                 typos.items())],
        "identity terms do not change a neutral sentence's verdict": [
            (f"{name} is {article(identities[0])} {job}.", f"{name} is {article(other)} {job}.", "same")
            for name, job in (("Carlos", "poet"), ("Sam", "director"), ("Aisha", "actor"))
            for other in identities[1:]],
    }


def passes(relation: str, p_base: float, p_variant: float) -> bool:
    """'same': the same label. 'stronger' / 'weaker': the same label, and the variant's confidence |p - 0.5| above
    / below the base's; where the base is already at 0.99 or more, 'stronger' asks only that the variant stays
    there (a probability cannot rise much further)."""
    same_side = (p_base >= 0.5) == (p_variant >= 0.5)
    if relation == "same":
        return same_side
    base, variant = abs(p_base - 0.5), abs(p_variant - 0.5)
    if relation == "stronger":
        return same_side and (variant > base or min(base, variant) >= 0.49)
    return same_side and variant < base


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="model folder or Hub repo id (default: the bundled model)")
    p.add_argument("--show", type=int, default=2, help="failing examples shown per capability")
    args = p.parse_args()
    clf = load_model(args.model)
    print(f"model: {clf.describe()}")
    print(f"{'capability':60s} {'cases':>5s}  pass rate  mean |change in P(positive)|, for pairs")
    for name, cases in labelled().items():
        probs = clf.predict_proba([t for t, _ in cases])
        failed = [(t, pr) for (t, y), pr in zip(cases, probs) if (pr >= 0.5) != bool(y)]
        print(f"{name:60s} {len(cases):5d}  {100 * (1 - len(failed) / len(cases)):5.1f}%")
        for t, pr in failed[:args.show]:
            print(f"    fails: {t!r} -> P(positive) {pr:.3f}")
    for name, cases in pairs().items():
        probs = clf.predict_proba([t for case in cases for t in case[:2]])
        failed = [(a, b, pa, pb) for (a, b, rel), pa, pb in zip(cases, probs[::2], probs[1::2])
                  if not passes(rel, pa, pb)]
        shift = sum(abs(pa - pb) for pa, pb in zip(probs[::2], probs[1::2])) / len(cases)
        print(f"{name:60s} {len(cases):5d}  {100 * (1 - len(failed) / len(cases)):5.1f}%     {shift:.3f}")
        for a, b, pa, pb in failed[:args.show]:
            print(f"    fails: {a!r} {pa:.3f} -> {b!r} {pb:.3f}")


if __name__ == "__main__":
    main()
