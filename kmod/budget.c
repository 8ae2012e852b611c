// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-node token buckets: how much the module may zero. Tokens are bytes;
 * they grow at the granted rate up to the burst. A batch needs
 * min(batch, burst) tokens and is charged in full, so a burst smaller than
 * one batch still makes progress and the long-run rate is never exceeded.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include "prezero.h"

/* Add the tokens earned since the last refill. Caller holds pn->lock. */
static void pz_refill(struct pz_node *pn, u64 now)
{
	u64 earned;

	if (now <= pn->refill_ns)
		return;
	earned = mul_u64_u64_div_u64(pn->rate, now - pn->refill_ns,
				     NSEC_PER_SEC);
	pn->refill_ns = now;
	/* tokens <= burst <= PREZERO_BUDGET_MAX, so this cannot overflow */
	pn->tokens = min_t(s64, pn->tokens + min_t(u64, earned, pn->burst),
			   pn->burst);
}

void pz_budget_init(struct pz_node *pn, u64 rate, u64 burst)
{
	spin_lock_init(&pn->lock);
	pn->enabled = true;
	pn->rate = min_t(u64, rate, PREZERO_BUDGET_MAX);
	pn->burst = min_t(u64, burst, PREZERO_BUDGET_MAX);
	pn->tokens = pn->burst;
	pn->refill_ns = ktime_get_ns();
}

/*
 * Charge @bytes if the node may zero now. On refusal *wait_ns says when
 * enough tokens will be there (U64_MAX: never without a new grant).
 */
bool pz_budget_take(struct pz_node *pn, u64 bytes, u64 *wait_ns)
{
	bool ok = false;
	s64 need;

	spin_lock(&pn->lock);
	*wait_ns = U64_MAX;
	if (!pn->enabled || !pn->burst)
		goto out;
	pz_refill(pn, ktime_get_ns());
	need = min_t(u64, bytes, pn->burst);
	if (pn->tokens >= need) {
		pn->tokens -= bytes;
		ok = true;
	} else if (pn->rate) {
		*wait_ns = mul_u64_u64_div_u64(need - pn->tokens, NSEC_PER_SEC,
					       pn->rate) + 1;
	}
out:
	spin_unlock(&pn->lock);
	return ok;
}

/* Will the node zero at some point without a new grant? */
bool pz_budget_granted(struct pz_node *pn)
{
	bool ok;

	spin_lock(&pn->lock);
	pz_refill(pn, ktime_get_ns());
	ok = pn->enabled && pn->burst && (pn->rate || pn->tokens > 0);
	spin_unlock(&pn->lock);
	return ok;
}

/* Time until the bucket is full again; U64_MAX if it never refills. */
u64 pz_budget_refill_ns(struct pz_node *pn)
{
	u64 ns = U64_MAX;

	spin_lock(&pn->lock);
	pz_refill(pn, ktime_get_ns());
	if (pn->tokens >= (s64)pn->burst)
		ns = 0;
	else if (pn->rate)
		ns = mul_u64_u64_div_u64(pn->burst - pn->tokens, NSEC_PER_SEC,
					 pn->rate);
	spin_unlock(&pn->lock);
	return ns;
}

/* Tokens the node will hold @ns from now: 0 to the burst. */
u64 pz_budget_soon(struct pz_node *pn, u64 ns)
{
	s64 soon;

	spin_lock(&pn->lock);
	pz_refill(pn, ktime_get_ns());
	soon = pn->tokens + min_t(u64, mul_u64_u64_div_u64(pn->rate, ns,
							    NSEC_PER_SEC),
				  pn->burst);
	soon = clamp_t(s64, soon, 0, pn->burst);
	if (!pn->enabled)
		soon = 0;
	spin_unlock(&pn->lock);
	return soon;
}

/*
 * Apply a netlink request; NULL leaves a field alone. A new rate or burst is
 * a fresh grant and starts with a full bucket.
 */
void pz_budget_set(struct pz_node *pn, const bool *enabled,
		   const u64 *rate, const u64 *burst)
{
	spin_lock(&pn->lock);
	pz_refill(pn, ktime_get_ns());
	if (enabled)
		pn->enabled = *enabled;
	if (rate)
		pn->rate = *rate;
	if (burst)
		pn->burst = *burst;
	if (rate || burst)
		pn->tokens = pn->burst;
	pn->starved = false;
	spin_unlock(&pn->lock);
}

void pz_node_stats(struct pz_node *pn, struct pz_node_stats *st)
{
	spin_lock(&pn->lock);
	pz_refill(pn, ktime_get_ns());
	st->enabled = pn->enabled;
	st->rate = pn->rate;
	st->burst = pn->burst;
	st->tokens = pn->tokens;
	st->scrubbed = pn->scrubbed;
	spin_unlock(&pn->lock);
	st->zeroed_bytes = atomic64_read(&pn->zeroed_bytes);
	st->zeroed_blocks = atomic64_read(&pn->zeroed_blocks);
	st->zero_ns = atomic64_read(&pn->zero_ns);
	st->report_calls = atomic64_read(&pn->report_calls);
	st->returned_blocks = atomic64_read(&pn->returned_blocks);
	st->exhausted = atomic64_read(&pn->exhausted);
}
