"""Find the smallest sets of locations that can ship a whole order together (DOMAIN.md §4.1).

Every set of the smallest size that covers the ordered quantities is returned, in a deterministic
order: locations inside a set sorted by name, sets in lexicographic order of those names. The
search walks the sets of one size in that order and prunes a branch as soon as even the best
remaining locations cannot cover what is still missing, so a large inventory answers quickly.
"""

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal

MAX_ROUTES = 10_000
# Search steps one request may take (about ten seconds); far beyond any order seen in the benchmark.
MAX_SEARCH_STEPS = 1_000_000


class RoutingSearchTooLarge(ValueError):
    """The inventory and split limit make a search too large to answer; fewer splits would do."""


def find_routes_with_fewest_splits(
    ordered: Mapping[str, Decimal],
    available: Mapping[str, Mapping[str, Decimal]],
    max_splits: int,
    *,
    limit: int = MAX_ROUTES,
    max_steps: int = MAX_SEARCH_STEPS,
) -> list[tuple[str, ...]]:
    """Sets of at most `max_splits + 1` locations whose summed stock covers `ordered`, smallest size only.

    `ordered` maps sku to quantity; `available` maps location name to {sku: quantity}. A sku's
    quantity may be split between locations of a set. Answers [] when no set of allowed size can
    ship the order; raises RoutingSearchTooLarge after `max_steps` search steps.
    """
    demand = {sku: Decimal(quantity) for sku, quantity in ordered.items() if Decimal(quantity) > 0}
    if not demand or max_splits < 0 or limit <= 0:
        return []
    skus = sorted(demand)
    factor = _integer_factor([*demand.values(), *(q for stock in available.values() for q in stock.values())])
    need = [int(demand[sku] * factor) for sku in skus]

    # A location holding none of the ordered skus never helps: it is left out before the search.
    names = sorted(name for name, stock in available.items() if any(Decimal(stock.get(sku, 0)) > 0 for sku in skus))
    # Stock beyond the demand changes nothing, and capping it tightens the pruning bounds.
    stock = [
        [min(max(int(Decimal(available[name].get(sku, 0)) * factor), 0), need[j]) for j, sku in enumerate(skus)]
        for name in names
    ]
    search = _Search(stock, need, max_size=min(max_splits + 1, len(names)), limit=limit, max_steps=max_steps)
    return [tuple(names[index] for index in combo) for combo in search.run()]


def _integer_factor(quantities) -> int:
    """A power of ten that turns every quantity into an integer, so the search adds ints, not Decimals."""
    places = 0
    for quantity in quantities:
        exponent = Decimal(quantity).normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return 10**places


# Past this many sets of one size, sorting them all costs more than walking them in order.
_ENUMERATION_CAP = 50_000


class _TooMany(Exception):
    pass


class _Search:
    """Locations are indices 0..n-1 in name order, skus 0..m-1; sets of indices are bitmasks."""

    def __init__(self, stock: list[list[int]], need: list[int], *, max_size: int, limit: int, max_steps: int):
        self.steps_left = max_steps
        self.stock = stock
        self.need = need
        self.n = len(stock)
        self.m = len(need)
        self.max_size = max_size
        self.limit = limit
        self.holders = [0] * self.m  # per sku: locations holding some of it
        self.sku_masks = [0] * self.n  # per location: skus it holds
        for i, row in enumerate(stock):
            for j, value in enumerate(row):
                if value:
                    self.holders[j] |= 1 << i
                    self.sku_masks[i] |= 1 << j
        self.holders_by_stock = [
            sorted(((stock[i][j], i) for i in range(self.n) if stock[i][j]), reverse=True) for j in range(self.m)
        ]
        self._sorted_stock, self._at_least_masks = self._masks_by_stock()
        # _broad[k]: the locations holding at least k of the skus, in index order, with the skus they hold.
        self._broad: list[list[tuple[int, int]]] = [[] for _ in range(self.m + 1)]
        for i, skus_held in enumerate(self.sku_masks):
            for k in range(skus_held.bit_count() + 1):
                self._broad[k].append((i, skus_held))
        self._best = None
        self._sku_lists: dict[int, list[int]] = {}

    def run(self) -> list[tuple[int, ...]]:
        everything = (1 << self.n) - 1
        all_skus = (1 << self.m) - 1
        for size in range(1, self.max_size + 1):
            found: list[tuple[int, ...]] = []
            try:
                self._cover((), everything, list(self.need), all_skus, size, found)
            except _TooMany:
                # Sets of this size abound: the first ones in order come quickly from an ordered walk.
                return self._in_order(size)
            if found:
                found.sort()
                return found[: self.limit]
        return []

    # --- Every set of one size, by covering the scarcest sku first ---------------------------------
    #
    # Some location of the set must hold the sku with the fewest eligible holders, and some location
    # must hold its share (1/picks) of the missing skus, so the search branches on the smaller of
    # those two groups only; the k-th branch excludes the locations of branches 1..k-1, so each set is
    # found exactly once. At the smallest size every location of a set is needed, so a set is always
    # reached through the holders of skus still missing. The last two picks are walked as pairs with
    # bitmasks (_add_pairs): in a sparse inventory most nodes of the search are there.
    # The step budget counts the nodes visited (each branch of a pair too).

    def _step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise RoutingSearchTooLarge("The search for routes is too large; allow fewer splits.")

    def _cover(self, chosen, eligible: int, remaining: list[int], missing: int, picks: int, found: list) -> None:
        self._step()
        if len(found) > _ENUMERATION_CAP:
            raise _TooMany
        if picks == 1:
            self._add_last_picks(chosen, eligible, remaining, missing, found)
            return
        skus = self._skus(missing)
        if picks == 2:
            # Two picks left: walking the pairs is cheaper than the bounds that would rule them out (and
            # a second pick holding none of the missing skus is never reached: it must hold some).
            self._add_pairs(chosen, eligible, remaining, missing, self._broadest(eligible, missing, 2), found)
            return
        useful = 0
        for j in skus:
            useful |= self.holders[j]
        eligible &= useful
        counted = []
        for j in skus:
            needed = self._picks_needed(j, eligible, remaining[j], picks)
            if needed > picks:
                return
            holders = self.holders[j] & eligible
            counted.append((holders.bit_count(), j, holders, needed))
        counted.sort()
        if not self._enough_picks(counted, picks):
            return
        broadest = self._broadest(eligible, missing, picks)
        if not broadest:
            return
        # Every covering set holds one of the scarcest sku's holders and one of the broadest
        # locations: branching on the smaller of the two groups finds each set once, with fewer branches.
        branches = broadest if len(broadest) < counted[0][0] else self._indices(counted[0][2])
        excluded = 0
        for i in branches:
            excluded |= 1 << i
            row = self.stock[i]
            left = list(remaining)
            still_missing = missing
            for j in self._skus(missing & self.sku_masks[i]):
                left[j] = max(left[j] - row[j], 0)
                if not left[j]:
                    still_missing ^= 1 << j
            # Covering everything before the last pick would be a smaller set, already ruled out.
            if still_missing:
                self._cover((*chosen, i), eligible & ~excluded, left, still_missing, picks - 1, found)

    def _skus(self, mask: int) -> list[int]:
        skus = self._sku_lists.get(mask)
        if skus is None:
            skus = self._sku_lists[mask] = [j for j in range(self.m) if mask >> j & 1]
        return skus

    def _picks_needed(self, j: int, eligible: int, remaining: int, picks: int) -> int:
        """How few eligible locations can hold `remaining` of sku j together (picks + 1 when more)."""
        total = taken = 0
        for value, i in self.holders_by_stock[j]:
            if eligible >> i & 1:
                total += value
                taken += 1
                if total >= remaining:
                    return taken
                if taken == picks:
                    break
        return picks + 1

    @staticmethod
    def _enough_picks(counted, picks: int) -> bool:
        """Skus no eligible location holds together need separate locations: their needs add up.

        Greedy from the scarcest sku: a sku joins when none of its holders holds an sku already in.
        """
        lower = 0
        taken = 0
        for _count, _j, holders, needed in counted:
            if not holders & taken:
                lower += needed
                if lower > picks:
                    return False
                taken |= holders
        return True

    def _broadest(self, eligible: int, missing: int, picks: int) -> list[int]:
        """The eligible locations holding at least 1/picks of the missing skus: a set covers only with one.

        `picks` locations hold all the missing skus between them only if one holds its share (any
        quantity: a looser test than covering, so it never rules out a set that covers). In index order.
        """
        enough = max(-(-missing.bit_count() // picks), 1)
        if enough > self.m:
            return []
        # Only locations holding at least `enough` skus of any kind can hold `enough` missing ones.
        return [i for i, held in self._broad[enough] if (held & missing).bit_count() >= enough and eligible >> i & 1]

    @staticmethod
    def _indices(mask: int) -> list[int]:
        indices = []
        while mask:
            low = mask & -mask
            mask ^= low
            indices.append(low.bit_length() - 1)
        return indices

    def _add_pairs(self, chosen, eligible: int, remaining: list[int], missing: int, firsts: list[int], found):
        """Every covering pair among `eligible` that holds one of `firsts`, each found once.

        What _cover's loop and _add_last_picks do, without a call and two lists per branch: a first
        pick i (the k-th excluding the k - 1 before it), then every eligible location that holds what
        i leaves missing: first by skus held at all (most branches end there), then by quantities.
        """
        sku_masks, stock, holders = self.sku_masks, self.stock, self.holders
        sorted_stock, at_least = self._sorted_stock, self._at_least_masks
        skus = self._skus(missing)
        excluded = 0
        for i in firsts:
            excluded |= 1 << i
            held = sku_masks[i] & missing
            row = stock[i]
            # Covering everything with the first pick would be a smaller set, already ruled out.
            if held == missing and all(row[j] >= remaining[j] for j in skus):
                continue
            # What _cover checks on entering a branch: a step, and the cap on sets found.
            self.steps_left -= 1
            if self.steps_left < 0:
                raise RoutingSearchTooLarge("The search for routes is too large; allow fewer splits.")
            if len(found) > _ENUMERATION_CAP:
                raise _TooMany
            mask = eligible & ~excluded
            for j in skus:
                if not held >> j & 1:
                    mask &= holders[j]
                    if not mask:
                        break
            if not mask:
                continue
            for j in skus:
                left = remaining[j] - row[j]
                if left > 0:
                    mask &= at_least[j][bisect_right(sorted_stock[j], left - 1)]
                    if not mask:
                        break
            while mask:
                bit = mask & -mask
                mask ^= bit
                found.append(tuple(sorted((*chosen, i, bit.bit_length() - 1))))

    def _add_last_picks(self, chosen, eligible: int, remaining: list[int], missing: int, found: list) -> None:
        mask = eligible & self._covering(remaining, missing)
        while mask:
            low = mask & -mask
            mask ^= low
            found.append(tuple(sorted((*chosen, low.bit_length() - 1))))

    def _covering(self, remaining: list[int], missing: int) -> int:
        """Bitmask of the locations that alone hold all that is still missing."""
        mask = (1 << self.n) - 1
        for j in self._skus(missing):
            cut = bisect_right(self._sorted_stock[j], remaining[j] - 1)
            mask &= self._at_least_masks[j][cut]
            if not mask:
                break
        return mask

    def _masks_by_stock(self):
        """Per sku: stock in ascending order and, for each cut t, the bitmask of locations order[t:]."""
        sorted_stock, at_least = [], []
        for j in range(self.m):
            order = sorted(range(self.n), key=lambda i, j=j: self.stock[i][j])
            sorted_stock.append([self.stock[i][j] for i in order])
            masks = [0] * (self.n + 1)
            for t in range(self.n - 1, -1, -1):
                masks[t] = masks[t + 1] | (1 << order[t])
            at_least.append(masks)
        return sorted_stock, at_least

    # --- The first sets of one size in lexicographic order -----------------------------------------

    def _in_order(self, size: int) -> list[tuple[int, ...]]:
        self._best = self._suffix_best_sums(size)
        found: list[tuple[int, ...]] = []
        self._walk((), 0, list(self.need), size, found)
        return found

    def _suffix_best_sums(self, size: int) -> list[list[list[int]]]:
        """best[i][j][r - 1]: the most of sku j that r locations taken from i.. can hold together."""
        best = [[[0] * size for _ in range(self.m)] for _ in range(self.n + 1)]
        descending = [[] for _ in range(self.m)]
        for i in range(self.n - 1, -1, -1):
            for j in range(self.m):
                values = descending[j]
                value = self.stock[i][j]
                position = 0
                while position < len(values) and values[position] >= value:
                    position += 1
                if position < size:
                    values.insert(position, value)
                    del values[size:]
                total = 0
                sums = best[i][j]
                for r in range(size):
                    if r < len(values):
                        total += values[r]
                    sums[r] = total
        return best

    def _can_cover(self, start: int, remaining: list[int], picks: int) -> bool:
        best = self._best[start]
        return all(remaining[j] <= best[j][picks - 1] for j in range(self.m) if remaining[j])

    def _walk(self, chosen: tuple[int, ...], start: int, remaining: list[int], picks: int, found: list) -> None:
        self._step()
        if picks == 1:
            missing = sum(1 << j for j in range(self.m) if remaining[j])
            mask = self._covering(remaining, missing) >> start << start
            while mask and len(found) < self.limit:
                low = mask & -mask
                found.append((*chosen, low.bit_length() - 1))
                mask ^= low
            return
        for index in range(start, self.n - picks + 1):
            if len(found) >= self.limit:
                return
            # Later starts only shrink the pool: once even the best of it falls short, stop.
            if not self._can_cover(index, remaining, picks):
                return
            row = self.stock[index]
            left = [max(remaining[j] - row[j], 0) for j in range(self.m)]
            if any(left) and self._can_cover(index + 1, left, picks - 1):
                self._walk((*chosen, index), index + 1, left, picks - 1, found)
