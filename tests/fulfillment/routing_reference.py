"""The fewest-splits search as it was before its speed-up (orders/routing/fewest_splits.py at 7e2be12).

Kept unchanged as the reference the faster search is compared with (test_routing_fewest_splits_reference.py):
the same sets, in the same order, the same refusals. Only its exception is the product's own.
"""

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal

from orders.routing import RoutingSearchTooLarge

MAX_ROUTES = 10_000
# Search steps one request may take (about ten seconds); far beyond any order seen in the benchmark.
MAX_SEARCH_STEPS = 1_000_000


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
    # Some location of the set must hold the sku with the fewest eligible holders, so the search
    # branches on those holders only; the k-th branch excludes the holders of branches 1..k-1, so each
    # set is found exactly once. At the smallest size every location of a set is needed, so a set is
    # always reached through the holders of skus still missing.

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
        if not self._enough_picks(counted, picks) or not self._enough_breadth(eligible, missing, picks):
            return
        scarcest_holders = counted[0][2]
        excluded = 0
        while scarcest_holders:
            low = scarcest_holders & -scarcest_holders
            scarcest_holders ^= low
            excluded |= low
            i = low.bit_length() - 1
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

    def _enough_breadth(self, eligible: int, missing: int, picks: int) -> bool:
        """Each pick adds at most as many missing skus as the broadest eligible location holds."""
        count = missing.bit_count()
        if count <= picks:
            return True
        enough = -(-count // picks)
        sku_masks = self.sku_masks
        while eligible:
            low = eligible & -eligible
            eligible ^= low
            if (sku_masks[low.bit_length() - 1] & missing).bit_count() >= enough:
                return True
        return False

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
