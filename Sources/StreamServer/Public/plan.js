// The plan: the signed-in user's subscription (its status, the features it grants now) and the
// plans on offer. Paying happens with the payment provider; a plan turns active only when the
// provider confirms the payment, so the page shows what the server says and nothing more.
import { api } from "./api.js";

const FEATURE_NAMES = { sell: "sell licences", distribution: "distribution", hifi: "hi-fi streams" };
const describe = (features) => features.length ? features.map((f) => FEATURE_NAMES[f] ?? f).join(", ") : "none";

function price(cents, currency) {
  if (!cents) return "free";
  return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

export async function showPlan() {
  const [mine, offer] = await Promise.all([api("/api/v1/me/subscription"), api("/api/v1/subscriptions/plans")]);
  const plans = new Map(offer.plans.map((plan) => [plan.id, plan]));
  const status = document.getElementById("plan-status");
  const sub = mine.subscription;
  const section = document.getElementById("plan");
  section.hidden = false;
  section.dataset.plan = sub?.plan ?? "free";
  section.dataset.status = sub?.status ?? "none";
  if (!sub) {
    status.textContent = `Plan: ${plans.get("free")?.name ?? "Free"}. Features: ${describe(mine.features)}.`;
  } else {
    const name = plans.get(sub.plan)?.name ?? sub.plan;
    const until = sub.current_period_end ? ` until ${new Date(sub.current_period_end).toLocaleDateString()}` : "";
    const notes = [
      mine.needs_payment ? "waiting for payment" : "",
      sub.cancel_at_period_end ? "ends at the period end" : "",
      sub.scheduled_plan ? `changes to ${plans.get(sub.scheduled_plan)?.name ?? sub.scheduled_plan} next period` : "",
    ].filter(Boolean);
    status.textContent = `Plan: ${name} (${sub.status.replaceAll("_", " ")}${until}${notes.length ? "; " + notes.join("; ") : ""}). ` +
      `Features now: ${describe(mine.features)}.`;
  }
  const list = document.getElementById("plan-list");
  list.replaceChildren(...offer.plans.map((plan) => {
    const item = document.createElement("li");
    item.dataset.planId = plan.id;
    item.textContent = `${plan.name}: ${price(plan.price_cents.monthly, plan.currency)} a month or ` +
      `${price(plan.price_cents.yearly, plan.currency)} a year` +
      `${plan.trial_days ? `, ${plan.trial_days}-day trial` : ""}; features: ${describe(plan.features)}`;
    return item;
  }));
}
