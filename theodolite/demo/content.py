"""The words of the demo: short, plausible English for each agent's prompts and answers.

Kept apart from the generator so the shapes of traces and the text inside them change separately.
"""

from __future__ import annotations

SUPPORT_PROMPT = "You are a friendly support assistant for a SaaS product. Answer from the article; be brief."
RESEARCH_PROMPT = "You are a research assistant. Search the web, read the best sources and cite them."
SQL_PROMPT = "Translate the question into one read-only PostgreSQL query. Use only the tables given."
EXPLAIN_PROMPT = "Explain the query result to a business user in two sentences."
SUMMARY_PROMPT = "Summarise the document for a busy executive: decisions, numbers, next steps."
TRIAGE_PROMPT = 'Classify the support ticket. Answer JSON: {"category": ..., "priority": low|medium|high}.'
HARDCODED_REPLY = "Sorry, I can't answer right now. Please try again in a few minutes."

# (question, help-centre article, answer)
SUPPORT = (
    ("How do I reset my password?", "Resetting your password",
     "Go to Settings > Security, choose Reset password and follow the link we email you. It is valid for 30 minutes."),
    ("I was charged twice for my March invoice.", "Duplicate charges and refunds",
     "Sorry about that. A duplicate is usually a pending authorisation that drops off within 3 business days."),
    ("Can I export my data to CSV?", "Exporting data",
     "Yes: open the project, click Export in the top-right menu and choose CSV. Large exports are emailed to you."),
    ("How do I add a teammate to my workspace?", "Inviting members",
     "Admins can invite people from Settings > Members > Invite. They join with the role you pick."),
    ("The mobile app keeps logging me out.", "Session timeouts on mobile",
     "Please update to version 4.2, which fixed a token refresh bug, then sign out and back in once."),
    ("What is your refund policy for annual plans?", "Refund policy",
     "Annual plans are refunded pro rata within 30 days of purchase; after that you keep access until renewal."),
    ("How do I change the email on my account?", "Changing your email",
     "Open Settings > Profile, edit the email and confirm from the message we send to the new address."),
    ("Do you support single sign-on?", "SSO with SAML and OIDC",
     "Yes, SAML 2.0 and OpenID Connect are available on the Business plan under Settings > Security."),
    ("My webhook stopped receiving events.", "Troubleshooting webhooks",
     "Webhooks pause after 20 failures in a row. Check your endpoint answers 2xx, then re-enable it."),
    ("Can I downgrade my plan mid-cycle?", "Changing plans",
     "Yes; the downgrade takes effect at the next billing date and you keep your current features until then."),
)  # fmt: skip

# Some users write in their own language (the support agent answers in it): (question, answer).
TRANSLATED_SUPPORT = (
    ("パスワードをリセットするにはどうすればいいですか？",
     "設定 > セキュリティ で「パスワードをリセット」を選び、"
     "メールで届くリンクを開いてください。リンクは30分間有効です。"),
    ("請問年度方案的退款政策是什麼？", "年度方案在購買後30天內可按比例退款；之後您可以使用到續約日。"),
    ("Как экспортировать мои данные в CSV?",
     "Откройте проект, нажмите «Экспорт» в правом верхнем меню и выберите CSV. Большие выгрузки приходят на почту."),
    ("هل تدعمون تسجيل الدخول الموحد؟", "نعم، يتوفر SAML 2.0 و OpenID Connect في خطة الأعمال ضمن الإعدادات > الأمان."),
    ("Мобильное приложение постоянно выходит из аккаунта.",
     "Обновите приложение до версии 4.2, в ней исправлена ошибка обновления токена, затем войдите снова."),
    ("ワークスペースにチームメイトを追加する方法は？",
     "管理者は 設定 > メンバー > 招待 から招待できます。選んだ役割で参加します。"),
)  # fmt: skip

# (user's next message, assistant's answer) for the later turns of a support session
FOLLOW_UPS = (
    ("Thanks! Will that affect my teammates?", "No, the change only applies to your own account."),
    ("That didn't work, the button is greyed out.", "That option is for workspace admins; ask an admin to do it."),
    ("Can you do it for me?", "I can't change account settings myself, but a support engineer can help you."),
    ("Where can I read more about this?", "The help-centre article I used has the full steps and screenshots."),
    ("OK, and how long does it take?", "Usually a few minutes; in rare cases up to one business day."),
)

# (question, web searches, answer)
RESEARCH = (
    ("Compare battery chemistries for grid-scale storage.", ("LFP vs NMC grid storage", "sodium-ion grid storage"),
     "LFP dominates new grid projects on cost and cycle life; NMC is denser but pricier; sodium-ion is emerging."),
    ("What are the main causes of coral bleaching?", ("coral bleaching causes", "marine heatwaves coral reefs"),
     "Marine heatwaves are the main driver; pollution, run-off and acidification add stress and slow recovery."),
    ("Summarise recent approaches to reducing LLM hallucinations.", ("retrieval augmented generation hallucination",),
     "Retrieval grounding, self-consistency checks and citation-constrained decoding help; none removes the problem."),
    ("How does the EU AI Act classify high-risk systems?", ("EU AI Act high-risk annex III",),
     "Systems used in Annex III areas such as hiring or credit scoring are high-risk and need logging and oversight."),
    ("How big is the European heat pump market?", ("European heat pump sales 2024", "heat pump market forecast"),
     "About 2.6 million units were sold in 2023, below the 2022 peak; growth is expected to resume."),
    ("Explain how vector databases index embeddings.", ("HNSW index explained", "IVF PQ vector index"),
     "Most use approximate nearest-neighbour graphs like HNSW, or inverted files with product quantisation."),
)  # fmt: skip
RESEARCH_FOLLOW_UPS = (
    ("Can you add sources from the last year only?", "Restricted to the last twelve months, the picture is the same."),
    ("Give me the three key numbers.", "Here are the three figures most sources agree on, with their citations."),
    ("What do critics say?", "Critics mostly question the data quality and the cost assumptions behind forecasts."),
)
SITES = ("en.wikipedia.org", "arxiv.org", "nature.com", "iea.org", "reuters.com", "europa.eu", "acm.org")

SCHEMA = {
    "orders": {"id": "bigint", "customer_id": "bigint", "region": "text", "amount": "numeric", "ordered_at": "date"},
    "customers": {"id": "bigint", "name": "text", "channel": "text", "churned_at": "date"},
    "tickets": {"id": "bigint", "customer_id": "bigint", "status": "text", "opened_at": "timestamptz"},
    "events": {"user_id": "bigint", "name": "text", "at": "timestamptz"},
    "returns": {"order_id": "bigint", "product": "text", "reason": "text"},
}
# (question, SQL, tables used, explanation)
SQL = (
    ("What was revenue by region last quarter?",
     "SELECT region, SUM(amount) AS revenue FROM orders WHERE ordered_at >= date_trunc('quarter', now()) - "
     "interval '3 months' AND ordered_at < date_trunc('quarter', now()) GROUP BY region ORDER BY revenue DESC",
     ("orders",), "EMEA led with 41% of revenue, ahead of North America (35%) and APAC (24%)."),
    ("How many weekly active users did we have this month?",
     "SELECT date_trunc('week', at) AS week, COUNT(DISTINCT user_id) FROM events "
     "WHERE at >= date_trunc('month', now()) GROUP BY 1 ORDER BY 1",
     ("events",), "Weekly active users grew from 12,400 to 13,100 over the month."),
    ("Which ten customers have the most open tickets?",
     "SELECT c.name, COUNT(*) AS open_tickets FROM tickets t JOIN customers c ON c.id = t.customer_id "
     "WHERE t.status = 'open' GROUP BY c.name ORDER BY open_tickets DESC LIMIT 10",
     ("tickets", "customers"), "Two customers account for a third of all open tickets."),
    ("What is the average order value by acquisition channel?",
     "SELECT c.channel, AVG(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.channel",
     ("orders", "customers"), "Referral customers spend the most per order, about 20% above paid search."),
    ("Which customers churned in the last 30 days?",
     "SELECT name, churned_at FROM customers WHERE churned_at >= now() - interval '30 days' ORDER BY churned_at",
     ("customers",), "Eleven customers churned, most of them on the monthly plan."),
    ("Which products have the most returns?",
     "SELECT product, COUNT(*) AS returns FROM returns GROUP BY product ORDER BY returns DESC LIMIT 10",
     ("returns",), "Returns concentrate on two products, mostly for sizing reasons."),
)  # fmt: skip

# (title, summary)
DOCUMENTS = (
    (
        "Q3 board meeting minutes",
        "The board approved the budget, asked for a hiring plan and postponed the office move.",
    ),
    (
        "Incident report: checkout outage",
        "A bad config push disabled payment retries for 47 minutes; a check was added.",
    ),
    (
        "Cloud hosting contract renewal",
        "Three-year renewal at 12% off for committed spend; 90 days' notice to terminate.",
    ),
    ("Customer interview notes", "Customers want shipment delay alerts and simpler bulk import; price was no concern."),
    (
        "Paper: sparse attention for long inputs",
        "Block-sparse attention keeps 95% of quality at a third of the compute.",
    ),
    (
        "Weekly engineering update",
        "Search latency fell 30% after the index rebuild; the mobile release slipped a week.",
    ),
)

# (ticket, category, priority)
TICKETS = (
    ("Payment failed but the money left my account", "billing", "high"),
    ("Feature request: dark mode for the dashboard", "feature-request", "low"),
    ("Cannot log in since this morning, error 500", "bug", "high"),
    ("How do I invite my team?", "how-to", "low"),
    ("Your API returns 429 although we are under the limit", "bug", "medium"),
    ("Please delete my account and all my data", "account", "medium"),
)

# user comments left with a thumbs-down (False) or thumbs-up (True)
FEEDBACK = {
    False: ("Did not answer my question.", "Too generic.", "The steps are wrong for my plan."),
    True: ("Thanks, that worked!", "Quick and clear.", "Exactly what I needed."),
}
