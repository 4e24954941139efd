// Price overrides of the project (USD per million tokens, as PUT /api/v1/prices takes them), and the
// price Theodolite applies to a model (GET /api/v1/prices/lookup; its model and provider are in the
// URL). Members and owners set and remove overrides; viewers read.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { ApiError } from "../api/client";
import { Spinner } from "../components/states";
import { settingsApi, type TieredRate } from "./api";
import { ActionError, ConfirmButton, ReadOnlyNotice } from "./parts";
import {
  EMPTY_PRICE_FORM,
  formatEffectiveFrom,
  formatRate,
  priceBody,
  priceFormErrors,
  RATE_FIELDS,
  type PriceForm,
  type SettingsRights,
} from "./rules";

function RateText({ value }: { value: string | TieredRate }) {
  if (typeof value !== "object") return <>{formatRate(value)}</>;
  return (
    <>
      {formatRate(value.base)}
      {value.tiers.map((tier) => (
        <span key={tier.above_input_tokens} className="muted">
          {" "}
          · {formatRate(tier.price)} above {tier.above_input_tokens.toLocaleString("en-US")} input tokens
        </span>
      ))}
    </>
  );
}

function PriceLookupPanel({ project }: { project: string }) {
  const [params, setParams] = useSearchParams();
  const model = params.get("model") ?? "";
  const provider = params.get("provider") ?? "";
  const [draft, setDraft] = useState({ model, provider });
  const lookup = useQuery({
    queryKey: ["settings", "price-lookup", project, model, provider],
    queryFn: () => settingsApi.lookup(model, provider || null, null),
    enabled: model !== "",
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(draft)) {
      if (value.trim()) next.set(key, value.trim());
      else next.delete(key);
    }
    next.delete("project");
    if (params.get("project")) next.set("project", params.get("project")!); // the project stays last
    setParams(next);
  };
  const unpriced = lookup.error instanceof ApiError && lookup.error.status === 404;
  return (
    <section className="settings-subsection" aria-labelledby="lookup-title">
      <h3 id="lookup-title">Which price applies</h3>
      <form className="settings-form" onSubmit={onSubmit}>
        <label className="field">
          <span>Model</span>
          <input aria-label="Lookup model" value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })} />
        </label>
        <label className="field">
          <span>Provider</span>
          <input
            aria-label="Lookup provider"
            placeholder="any"
            value={draft.provider}
            onChange={(e) => setDraft({ ...draft, provider: e.target.value })}
          />
        </label>
        <button type="submit" className="button">
          Look up
        </button>
      </form>
      {model === "" ? null : lookup.isPending ? (
        <Spinner label="Looking up…" />
      ) : unpriced ? (
        <p className="banner banner-warning" data-testid="price-lookup">
          No price for <code>{model}</code>: its calls are <strong>unpriced</strong> (never counted as $0). Set an override
          below to price them.
        </p>
      ) : lookup.isError ? (
        <ActionError error={lookup.error} />
      ) : (
        <div data-testid="price-lookup" className="price-lookup">
          <p>
            <code>{lookup.data.model}</code>
            {lookup.data.provider ? <> ({lookup.data.provider})</> : null} is priced from{" "}
            <strong data-testid="price-source">{lookup.data.source}</strong>, USD per million tokens (per thousand for{" "}
            <code>*_kcount</code>):
          </p>
          <dl className="facts">
            {Object.entries(lookup.data.rates).map(([key, value]) => (
              <div key={key} style={{ display: "contents" }}>
                <dt>{key}</dt>
                <dd data-testid={`rate-${key}`}>
                  <RateText value={value} />
                </dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </section>
  );
}

export function PricesTab({ project, rights }: { project: string; rights: SettingsRights }) {
  const queryClient = useQueryClient();
  const queryKey = ["settings", "prices", project];
  const prices = useQuery({ queryKey, queryFn: settingsApi.prices });
  const [form, setForm] = useState<PriceForm>(EMPTY_PRICE_FORM);
  const [problems, setProblems] = useState<string[]>([]);
  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey });
    void queryClient.invalidateQueries({ queryKey: ["settings", "price-lookup", project] });
  };
  const save = useMutation({
    mutationFn: settingsApi.setPrice,
    onSuccess: () => {
      setForm(EMPTY_PRICE_FORM);
      invalidate();
    },
  });
  const remove = useMutation({ mutationFn: settingsApi.removePrice, onSettled: invalidate });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    remove.reset();
    const found = priceFormErrors(form);
    setProblems(found);
    if (found.length === 0) save.mutate(priceBody(form));
  };
  const disabled = !rights.writePrices;

  return (
    <section className="settings-section" aria-labelledby="prices-title">
      <h2 id="prices-title">Price overrides</h2>
      <p className="muted">
        Theodolite prices calls from the genai-prices table. An override prices a custom model or corrects a public price
        for this project from its date on (the newest in force wins; an exact name beats a glob). New calls use it at once;
        stored calls keep their cost until <code>theodolite costs recompute</code>.
      </p>
      {disabled ? (
        <ReadOnlyNotice>
          Your role in project <strong>{project}</strong> is {rights.role ?? "none"}: members and owners set prices;
          you can read them and look up which price applies.
        </ReadOnlyNotice>
      ) : null}
      <PriceLookupPanel project={project} />
      <h3>Overrides</h3>
      {prices.isPending ? (
        <Spinner label="Loading the prices…" />
      ) : prices.isError ? (
        <ActionError error={prices.error} />
      ) : (
        <table className="settings-table" aria-label="Price overrides">
          <thead>
            <tr>
              <th>Model</th>
              <th>Provider</th>
              <th>From</th>
              {RATE_FIELDS.map(([field, label]) => (
                <th key={field} className="numeric">
                  {label}
                </th>
              ))}
              <th>Note</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {prices.data.length === 0 ? (
              <tr>
                <td colSpan={RATE_FIELDS.length + 5} className="muted">
                  No override: every call is priced from genai-prices.
                </td>
              </tr>
            ) : null}
            {prices.data.map((price) => (
              <tr key={`${price.model}|${price.provider}|${price.effective_from}`} data-testid="price-row">
                <td>
                  <code>{price.model}</code>
                </td>
                <td>{price.provider ?? <span className="muted">any</span>}</td>
                <td>{formatEffectiveFrom(price.effective_from)}</td>
                {RATE_FIELDS.map(([field]) => (
                  <td key={field} className="numeric" data-testid={`price-${field}`}>
                    {formatRate(price[field])}
                  </td>
                ))}
                <td>{price.note ?? ""}</td>
                <td className="actions">
                  <ConfirmButton
                    label="Remove"
                    question="Calls after this will be priced without it. Remove?"
                    confirmLabel="Remove the override"
                    disabled={disabled}
                    busy={remove.isPending}
                    onConfirm={() => remove.mutate(price)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ActionError error={remove.error} />
      <h3>Set an override</h3>
      <p className="muted">Rates in USD per million tokens; empty cache rates take the input rate, reasoning the output rate.</p>
      <form className="settings-form settings-form-grid" onSubmit={onSubmit} aria-label="Set a price override">
        <label className="field">
          <span>Model</span>
          <input
            aria-label="Model"
            placeholder="acme-ft-llama-70b or ft:acme-*"
            value={form.model}
            disabled={disabled}
            onChange={(e) => setForm({ ...form, model: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Provider</span>
          <input
            aria-label="Provider"
            placeholder="any"
            value={form.provider}
            disabled={disabled}
            onChange={(e) => setForm({ ...form, provider: e.target.value })}
          />
        </label>
        <label className="field">
          <span>From (UTC)</span>
          <input
            aria-label="From"
            type="date"
            value={form.from}
            disabled={disabled}
            onChange={(e) => setForm({ ...form, from: e.target.value })}
          />
        </label>
        {RATE_FIELDS.map(([field, label]) => (
          <label className="field" key={field}>
            <span>{label} $/1M</span>
            <input
              aria-label={`${label} USD per million tokens`}
              inputMode="decimal"
              value={form.rates[field]}
              disabled={disabled}
              onChange={(e) => setForm({ ...form, rates: { ...form.rates, [field]: e.target.value } })}
            />
          </label>
        ))}
        <label className="field">
          <span>Note</span>
          <input aria-label="Price note" value={form.note} disabled={disabled} onChange={(e) => setForm({ ...form, note: e.target.value })} />
        </label>
        <button type="submit" className="button button-primary" disabled={disabled || save.isPending}>
          {save.isPending ? <Spinner label="Saving…" /> : "Save the price"}
        </button>
      </form>
      {problems.length > 0 ? (
        <ul className="form-error" role="alert" data-testid="price-form-errors">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ActionError error={save.error} />
      {save.isSuccess ? (
        <p role="status" data-testid="price-saved">
          Saved: calls to <code>{save.data.model}</code> from {formatEffectiveFrom(save.data.effective_from)} use it.
        </p>
      ) : null}
    </section>
  );
}
