#!/usr/bin/env python3
"""Write finetune/sample_data/*.jsonl from the handwritten content in this file.

All conversations and documents below are handwritten for this project (CC0-1.0). They describe one fictional
company, Corvel, a B2B software vendor; every person, team, customer and project name is invented. The script only
parses two small text formats and writes JSONL; it adds no templated or random content. Row order is shuffled with a
fixed seed so that the files are not grouped by topic, and the output is byte-for-byte reproducible.

Query-rewrite format: conversations separated by blank lines. Each line is
    U: <user query>     a turn that becomes a row (history = all earlier lines of the conversation)
    u: <user query>     a turn that is only context (no row of its own)
    R: <rewrite>        the rewrite of the U line just above; when absent the query is already self-contained
    A: <answer>         the search assistant's short answer
Summarization format: rows separated by a line "----". Optional "Q: <focus query>" line, then "D:" and the document
lines, then "S: <summary>".

Usage: python scripts/make_sample_data.py [--check]
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "finetune" / "sample_data"

QR_TRAIN: list[str] = []
QR_HELDOUT: list[str] = []
SUM_TRAIN: list[str] = []
SUM_HELDOUT: list[str] = []


def parse_qr(chunks: list[str]) -> list[dict]:
    rows = []
    for block in "\n".join(chunks).strip().split("\n\n"):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        history: list[str] = []
        pending: dict | None = None
        for ln in lines:
            tag, _, text = ln.partition(": ")
            text = text.strip()
            if tag not in ("U", "u", "R", "A") or not text:
                raise ValueError(f"bad line {ln!r} in block:\n{block}")
            if tag in ("U", "u"):
                if pending:
                    rows.append(pending)
                pending = {"history": list(history), "query": text, "rewrite": text} if tag == "U" else None
                history.append(text)
            elif tag == "R":
                if pending is None or pending["rewrite"] != pending["query"]:
                    raise ValueError(f"R without U in block:\n{block}")
                pending["rewrite"] = text
            else:
                if pending:
                    rows.append(pending)
                    pending = None
                history.append(text)
        if pending:
            rows.append(pending)
    return rows


def parse_sum(chunks: list[str]) -> list[dict]:
    rows = []
    for block in "\n".join(chunks).strip().split("\n----\n"):
        block = block.strip()
        query = None
        if block.startswith("Q: "):
            first, block = block.split("\n", 1)
            query = first[3:].strip()
        if not block.startswith("D:\n") or "\nS: " not in block:
            raise ValueError(f"bad summarization block:\n{block}")
        doc, summary = block[3:].rsplit("\nS: ", 1)
        rows.append({"document": doc.strip(), "query": query, "summary": " ".join(summary.split())})
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Query rewriting, train
# ---------------------------------------------------------------------------------------------------------------------
QR_TRAIN.append(r"""
u: who owns the Atlas billing migration?
A: Marcus Feld on the Payments Platform team owns it; cutover is planned for June 14.
U: what's his email
R: what's Marcus Feld's email
A: marcus.feld@corvel.io. He works from the Dublin office.
U: is the cutover still on track?
R: is the Atlas billing migration cutover still on track?

u: where's the onboarding doc for new SREs?
A: "SRE Onboarding: Week 1" on the wiki, maintained by Aisha Karimi.
U: when was it last updated
R: when was the SRE Onboarding: Week 1 doc last updated
A: March 3, by Aisha Karimi.
U: does it cover pagerduty setup?
R: does the SRE Onboarding: Week 1 doc cover pagerduty setup?

u: notes from yesterday's Kestrel standup
A: "Kestrel standup, Tue" by Dana Whitfield: API freeze moved to Friday, two open blockers on auth.
U: what were the blockers
R: what were the auth blockers in yesterday's Kestrel standup notes
A: Token refresh failing on Android, and a missing certificate in staging.
U: who's fixing the first one?
R: who's fixing the Kestrel token refresh failure on Android?

u: did Legal reply about the Tessaly Bank MSA?
A: Yes, Rosa Delgado replied Monday asking to change the liability cap in section 9.
U: what did she propose instead
R: what did Rosa Delgado propose instead of the liability cap in the Tessaly Bank MSA
A: A cap of 12 months of fees instead of 24.
U: has anyone in sales responded to that?
R: has anyone in sales responded to Rosa Delgado's 12-month liability cap proposal for the Tessaly Bank MSA?

u: when is my next 1:1 with Hiroshi?
A: Thursday at 10:30 in room Fjord; it repeats every two weeks.
U: what's on the agenda
R: what's on the agenda for my next 1:1 with Hiroshi
A: The shared doc lists a Q2 goals review and the Beacon hiring plan.
U: who's on the Beacon hiring panel?

u: how many PTO days do new hires get?
A: 20 days a year in the US, accrued monthly; 25 in Ireland and Germany.
U: and in the UK?
R: how many PTO days do new hires get in the UK?
A: 25 days plus bank holidays.
U: can unused days roll over there
R: can unused PTO days roll over in the UK

u: what's the meal limit when traveling?
A: The travel policy allows $75 a day for meals in the US; itemized receipts needed over $25.
U: what about international trips
R: what's the meal limit for international trips
A: It's set per city; London and Tokyo are $95 a day.
U: does that include alcohol?
R: does the international meal limit include alcohol?

u: which repo has the search ranking service?
A: corvel/rank-svc on GitHub, owned by the Search Infra team.
U: who are the top contributors
R: who are the top contributors to corvel/rank-svc
A: Lena Okoro, Tobias Brandt and Wei Zhang, by commits in the last 90 days.
U: is Tobias still on that team?
R: is Tobias Brandt still on the Search Infra team?

u: grafana dashboard for checkout latency
A: "Checkout / p99 latency" in the Payments folder, owned by Ines Carvalho.
U: what was p99 last week
R: what was checkout p99 latency last week
A: About 420 ms, up from 310 ms the week before.
U: any incidents linked to that spike?
R: any incidents linked to last week's checkout p99 latency spike?

u: who's the account manager for Pinehurst Retail?
A: Samuel Achebe in Customer Success, since January.
U: when does their contract renew
R: when does Pinehurst Retail's contract renew
A: November 30. It's a three-year deal worth $410k ARR.
U: any open escalations?
R: any open escalations for Pinehurst Retail?

u: who does Priya Natarajan report to?
A: Gabriel Moreau, VP of Engineering.
U: how many people report to him
R: how many people report to Gabriel Moreau
A: Seven direct reports and 64 people in his org.
U: who's his chief of staff?
R: who's Gabriel Moreau's chief of staff?

u: how do I reset my VPN token?
A: Use the "VPN token reset" form on the IT portal; a new token arrives by email within 15 minutes.
U: what if I'm locked out of email too
R: how do I reset my VPN token if I'm locked out of email too
A: Call the IT helpdesk at extension 4400; they can issue a temporary token.
U: what are their hours?
R: what are the IT helpdesk's hours?

u: open P1 tickets for the mobile app
A: Two: MOB-2231, a crash on login on iOS 17, and MOB-2240, delayed push notifications.
U: who's assigned to the crash one
R: who's assigned to MOB-2231, the iOS 17 login crash
A: Keisha Brown on the Mobile team, since this morning.
U: only the ones opened this week
R: open P1 tickets for the mobile app opened this week

u: what's the status of Project Juniper?
A: Juniper is in beta with four pilot customers; GA is targeted for September.
U: which customers are in the pilot?
R: which customers are in the Project Juniper pilot?
A: Brightwater Logistics, Okafor Health, Marlow & Finch and Vantor Energy.
U: how do I book a meeting room in the Berlin office

u: recording of last Thursday's all-hands
A: The April all-hands recording is on the Comms wiki page, 58 minutes, slides attached.
U: did they talk about the reorg?
R: did they talk about the reorg at the April all-hands?
A: Yes. Carla Jensen announced that Data Eng merges into the Platform org in June.
U: who will lead the merged org
R: who will lead the merged Data Eng and Platform org

u: how did Beacon's trial conversion do in Q1?
A: 3.8% trial-to-paid in Q1, according to the Growth Looker dashboard.
U: how does that compare to Q4
R: how does Beacon's Q1 trial conversion compare to Q4
A: Q4 was 3.1%, so Q1 is up 0.7 points.
U: and to Q1 last year?
R: how does Beacon's Q1 trial conversion compare to Q1 last year?

u: who's the new head of design?
A: Yara Mansour joined as Head of Design on May 6, coming from Quillon Media.
U: what's her slack handle
R: what's Yara Mansour's slack handle
A: @yara.m. She's most active in #design-leads.
U: is she hiring?
R: is Yara Mansour hiring?

u: design docs about rate limiting
A: Five docs, including "API Gateway Rate Limits v2" by Omar Siddiqui and "Per-tenant throttling" by Julia Meier.
U: only the ones from last month
R: design docs about rate limiting from last month
A: Just "Per-tenant throttling" by Julia Meier, published April 18.
U: has it been approved?
R: has Julia Meier's "Per-tenant throttling" design doc been approved?

u: what did we ship in release 4.12?
A: 4.12 added Okta SSO and bulk export, and fixed the calendar sync bug.
U: when did it go out
R: when did release 4.12 go out
A: April 22, reaching all regions by April 24.
U: and what's planned for the next one?
R: what's planned for the release after 4.12?

U: expense policy for home office equipment

u: who's on call for the data pipeline this week?
A: Nikolai Petrov is primary and Amara Osei is secondary until Monday 9am.
U: what's Amara's phone number
R: what's Amara Osei's phone number
A: Her profile lists +44 20 7946 0182.
U: which team is she on?
R: which team is Amara Osei on?

u: summary of the Orion QBR deck
A: The Orion QBR deck covers 18% usage growth, two churn risks and the roadmap for Q3.
U: who presented it?
R: who presented the Orion QBR deck?
A: Felipe Ortega and Hannah Stein presented on May 2.
U: which accounts were the churn risks
R: which accounts were the churn risks in the Orion QBR deck

u: Halyard launch date
A: Halyard is scheduled to launch on July 9, according to the launch plan by Mira Kapoor.
U: has it slipped before?
R: has the Halyard launch date slipped before?
A: Once: it moved from June 18 to July 9 after the security review.
U: what did the security review find
R: what did the Halyard security review find

u: what's the parental leave policy?
A: 16 weeks fully paid for all parents, taken within 12 months of birth or adoption.
U: does it apply to contractors?
R: does the parental leave policy apply to contractors?
A: No, contractors are covered by their agency's policy.
U: what about part-time employees
R: does the parental leave policy apply to part-time employees

u: is there a runbook for failing over the Postgres primary?
A: Yes, "Postgres primary failover" on the SRE wiki, last tested in February.
U: how long does it take
R: how long does the Postgres primary failover take
A: The last drill took 11 minutes end to end.
U: who ran that drill?
R: who ran the last Postgres primary failover drill?

u: who from Marlow & Finch is coming to the onsite next week?
A: Their CTO Rupert Hale and two engineers, Gemma Lyle and Oscar Trent.
U: what time does it start
R: what time does the Marlow & Finch onsite next week start
A: Tuesday at 9:30 in the London office, room Thames.
U: is lunch booked?
R: is lunch booked for the Marlow & Finch onsite on Tuesday?

u: latest version of the brand guidelines
A: "Corvel Brand Guidelines 3.1", published by the Marketing team in February.
U: where are the logo files
R: where are the logo files for the Corvel Brand Guidelines 3.1
A: In the "Brand assets" shared drive, folder Logos/2024.
U: who approved the new color palette
R: who approved the new color palette in the Corvel Brand Guidelines 3.1

u: how much did we spend on AWS in March?
A: $812k in March, per the FinOps dashboard, 6% over budget.
U: and February?
R: how much did we spend on AWS in February?
A: $764k, about 1% under budget.
U: what drove the increase
R: what drove the increase in AWS spend from February to March

u: what is Tamarack?
A: Tamarack is the internal codename for the new data retention service, led by Svetlana Ivanova.
U: which teams depend on it
R: which teams depend on Tamarack, the data retention service
A: Search Infra, Compliance Engineering and the Analytics team.
U: is there a design doc?
R: is there a design doc for Tamarack?
""")

QR_TRAIN.append(r"""
u: postmortem for the May 3 login outage
A: "INC-812: SSO login outage" by Rahul Menon. Root cause was an expired SAML signing certificate.
U: how long were users affected
R: how long were users affected by the May 3 SSO login outage
A: 47 minutes, from 14:05 to 14:52 UTC.
U: what follow-ups came out of it?
R: what follow-ups came out of the INC-812 SSO login outage postmortem?
A: Certificate expiry alerts, a rotation runbook, and moving certs into Vault.
U: are those done yet
R: are the INC-812 follow-ups done yet

u: who is Tobias Brandt?
A: Tobias Brandt is a staff engineer on Search Infra in Berlin, reporting to Lena Okoro.
U: what projects is he on
R: what projects is Tobias Brandt on
A: The query understanding rewrite and the rank-svc migration to gRPC.
U: who else works on the second one?
R: who else works on the rank-svc migration to gRPC?

u: Q2 OKRs for the Growth team
A: Three objectives: raise trial conversion to 4.5%, launch Beacon referrals, and cut onboarding drop-off by 20%.
U: who owns the referrals one
R: who owns the Growth team's Beacon referrals OKR
A: Jonas Weber, product manager for Growth.
U: how far along is it?
R: how far along is the Beacon referrals OKR?

u: can I expense a co-working space?
A: Yes, up to $300 a month for remote employees, with manager approval in Concur.
U: what category do I use
R: what Concur category do I use to expense a co-working space
A: "Remote work – workspace".
U: does it need a receipt?
R: does a co-working space expense need a receipt?

u: who's presenting at Friday's engineering demo?
A: Wei Zhang on query autocomplete, Keisha Brown on offline mode, and Pablo Ruiz on the new CI cache.
U: how long is each slot
R: how long is each slot at Friday's engineering demo
A: Ten minutes each, plus five for questions.
U: is it recorded?
R: is Friday's engineering demo recorded?

u: what's the SLA for Okafor Health?
A: 99.95% monthly uptime with a 1-hour response time for P1 tickets.
U: did we breach it this year
R: did we breach the Okafor Health SLA this year
A: Once, in February: uptime was 99.91% because of the storage incident.
U: were credits issued for that?
R: were SLA credits issued to Okafor Health for the February breach?

u: latest Cobalt sprint review
A: Sprint 14 review by Ahmed Farouk: 31 of 38 points done, search filters shipped, export slipped.
U: why did export slip
R: why did the Cobalt export slip in sprint 14
A: Waiting on a schema change from the Data Eng team.
U: and the sprint before that?
R: how did Cobalt sprint 13 go?

u: how do I request a second monitor?
A: File a hardware request on the IT portal; standard is a 27-inch Dell, delivered in about a week.
U: can I get it shipped home
R: can I get a second monitor shipped home
A: Yes, choose "home delivery" in the request and add your address.
U: what's the laptop refresh cycle

u: who approved the Vantor Energy discount?
A: Elena Rossi, VP of Sales, approved a 22% discount on March 12.
U: what's the usual max without VP approval?
R: what's the usual max discount without VP approval?
A: Account executives can give up to 10%, directors up to 15%.
U: has she approved any bigger ones this year
R: has Elena Rossi approved any discounts bigger than 22% this year

u: who's Lena Okoro's manager?
A: Lena Okoro reports to Priya Natarajan, Director of Search.
U: and hers?
R: who is Priya Natarajan's manager?
A: Gabriel Moreau, VP of Engineering.
U: when did Lena join
R: when did Lena Okoro join

u: 2FA setup instructions for new laptops
A: "Set up 2FA on a new device" on the IT wiki: install Okta Verify, then scan the QR code in your Okta profile.
U: what if I lost my old phone
R: how do I set up 2FA on a new laptop if I lost my old phone
A: Ask the helpdesk to reset your Okta factors after a video identity check.

u: who wrote the Meridian pricing proposal?
A: Claire Dubois from Product Marketing, with input from Finance.
U: what tiers does it propose
R: what tiers does the Meridian pricing proposal propose
A: Starter at $12, Team at $29 and Enterprise with custom pricing, per user per month.
U: how is that different from current pricing?
R: how is the Meridian pricing proposal different from current pricing?
A: Current pricing has two tiers, $15 and $35, and no Starter plan.
U: when does the pricing committee review it
R: when does the pricing committee review the Meridian pricing proposal

u: how many support tickets did Brightwater Logistics open last quarter?
A: 42 tickets in Q1, 6 of them high priority.
U: what were the most common issues?
R: what were the most common issues in Brightwater Logistics' Q1 support tickets?
A: Sync delays with their TMS integration and SSO group mapping.
U: compare that with Kinnear Foods
R: compare Brightwater Logistics' Q1 support tickets with Kinnear Foods

u: is the Lisbon office open on June 13?
A: No, June 13 is a local holiday in Lisbon (Santo António), so the office is closed.
U: what about Madrid
R: is the Madrid office open on June 13
A: Yes, Madrid is open as usual.
U: who's the office manager there?
R: who's the office manager in the Madrid office?

u: slack channel for the Osprey launch
A: #osprey-launch, created by Mira Kapoor, 86 members.
U: any announcements in it today
R: any announcements in #osprey-launch today
A: Mira posted that the press embargo lifts at 8am ET on Wednesday.
U: who's handling press?
R: who's handling press for the Osprey launch?

u: what does the code review policy say about approvals?
A: Two approvals for changes to services in the payments and auth paths; one approval elsewhere.
U: who can approve the payments ones
R: who can approve code changes to services in the payments path
A: Members of the payments-owners group on GitHub, listed in CODEOWNERS.
U: how do I get added to it
R: how do I get added to the payments-owners group on GitHub

u: weekly active users for the Android app
A: 128k WAU last week, down 2% week over week.
U: and iOS?
R: weekly active users for the iOS app
A: 204k WAU, up 4%.
U: what about the week before
R: weekly active users for the iOS app the week before last

u: who decided to sunset the legacy reports module?
A: The product council, on March 28; Anil Gupta wrote the decision memo.
U: when is it turned off
R: when is the legacy reports module turned off
A: September 30, after a read-only period starting July 1.
U: which customers still use it?
R: which customers still use the legacy reports module?

u: where do I find my payslips?
A: In Workday under Pay > Payslips; the last 24 months are available.
U: and my P60?
R: where do I find my P60 in Workday?

u: interview feedback for the senior backend candidate
A: Three scorecards for Daniel Kowalski: two "hire", one "lean no hire" from Sofia Marchetti.
U: what were her concerns
R: what were Sofia Marchetti's concerns about Daniel Kowalski
A: Limited experience with distributed systems in the system design round.
U: who's making the final call?
R: who's making the final hiring call on Daniel Kowalski?

u: what's the budget for the Sales EMEA offsite?
A: €48,000 for 30 people, approved by Elena Rossi.
U: where is it this year
R: where is the Sales EMEA offsite this year
A: Sintra, Portugal, October 8 to 10.
U: who's organizing
R: who's organizing the Sales EMEA offsite in Sintra

u: error rate of the notifications service today
A: 0.8% 5xx errors since midnight, above the 0.5% SLO.
U: which endpoint is worst
R: which endpoint of the notifications service has the worst error rate today
A: POST /v2/digest, at 3.1% errors.
U: any recent deploys to it?
R: any recent deploys to the notifications service?
""")

QR_TRAIN.append(r"""
u: when is the next SOC 2 audit?
A: Fieldwork starts August 19 with Harlow & Pike as the auditor; Nadia Benali coordinates it.
U: what evidence do they need from engineering
R: what evidence does the SOC 2 auditor need from engineering
A: Access reviews, change management tickets and backup restore tests for the audit period.
U: who's collecting the access reviews?
R: who's collecting the access reviews for the SOC 2 audit?

u: how do I get read access to the finance warehouse?
A: Request the "finance-ro" role in the access portal; Finance Data owners approve within two business days.
U: who are the owners
R: who are the owners of the finance-ro role
A: Beatrix Hollander and Kwame Mensah on the Finance Data team.
U: can she approve it today?
R: can Beatrix Hollander approve the finance-ro access request today?

u: learning and development budget per person
A: $1,500 a year per employee for courses, books and conferences.
U: does it roll over?
R: does the learning and development budget roll over?
A: No, it resets every January 1.
U: can I use it for a language course
R: can I use the learning and development budget for a language course

u: who signed the contract with Lumenfield, the translation vendor?
A: Procurement lead Oskar Lindgren signed it in January, a one-year term.
U: how much is it
R: how much is the Lumenfield translation contract
A: $64,000 a year, billed quarterly.
U: is there an auto-renewal clause?
R: is there an auto-renewal clause in the Lumenfield contract?

u: is the "new-editor" feature flag on for Castellan Insurance?
A: No, it's on for 20% of workspaces; Castellan Insurance is in the excluded list.
U: why were they excluded
R: why was Castellan Insurance excluded from the new-editor feature flag
A: Their admin asked to wait until after their quarter close on June 30.
U: who made that request
R: who made the request to exclude Castellan Insurance from the new-editor flag

u: API docs for the webhooks endpoint
A: "Webhooks API reference" on the developer portal, covering events, retries and signature checks.
U: what's the retry schedule
R: what's the retry schedule for webhooks
A: Up to 8 retries with exponential backoff over 24 hours.
U: can customers change it?
R: can customers change the webhook retry schedule?

u: NPS for enterprise customers last quarter
A: Enterprise NPS was 41 in Q1, from 212 responses.
U: and for SMB?
R: NPS for SMB customers last quarter
A: 33, from 1,040 responses.
U: what were the top complaints from the smaller ones
R: what were the top complaints from SMB customers in last quarter's NPS survey

u: when do performance reviews open?
A: The mid-year cycle opens June 3; self-reviews are due June 14.
U: and manager reviews?
R: when are manager reviews due in the mid-year performance cycle?
A: June 28, with calibration the week of July 8.
U: where's the rubric
R: where's the rubric for the mid-year performance reviews

u: who has badge access to the server room in Dublin?
A: Twelve people, mostly Facilities and the Dublin IT team; the list is in the access control system.
U: how do I request it
R: how do I request badge access to the server room in Dublin
A: Submit a facilities request with manager approval; the site lead, Ciara Byrne, approves.
U: what's her extension?
R: what's Ciara Byrne's extension?

u: status page incidents this month
A: Three incidents: API latency on May 7, webhook delays on May 15, and a dashboard outage on May 21.
U: which was longest
R: which status page incident this month was longest
A: The webhook delays on May 15, lasting 2 hours 10 minutes.
U: did we notify customers by email for that one?
R: did we notify customers by email about the May 15 webhook delays?

u: what's Kinnear Foods' renewal risk?
A: Flagged high by Customer Success: usage dropped 35% after their champion, Laura Pritchard, left.
U: who replaced her
R: who replaced Laura Pritchard at Kinnear Foods
A: Their new IT director is Graham Oduya, since April.
U: have we met with him yet?
R: have we met with Graham Oduya at Kinnear Foods yet?

u: can I bring a visitor to the Austin office?
A: Yes, register them in Envoy at least 24 hours ahead; they need to sign the NDA at reception.
U: what about on weekends
R: can I bring a visitor to the Austin office on weekends
A: Weekend visits need approval from the site lead.
U: how do I book parking for them
R: how do I book parking for a visitor to the Austin office

u: headcount plan for Search Infra this year
A: Search Infra plans 6 new hires in 2024: 4 backend, 1 SRE and 1 engineering manager.
U: how many are filled
R: how many of the Search Infra 2024 hires are filled
A: Two backend roles are filled; the rest are open.
U: who's the recruiter for those?
R: who's the recruiter for the open Search Infra roles?

u: who led the Sextant pilot at Redfern Schools?
A: Tomás Ibarra from Solutions Engineering, from February to April.
U: what were the results
R: what were the results of the Sextant pilot at Redfern Schools
A: Teacher search time dropped 30%, and Redfern signed for 40 schools.
U: is there a case study?
R: is there a case study on the Sextant pilot at Redfern Schools?

u: what's our policy on using personal AI tools with customer data?
A: Not allowed. Customer data may only go into approved tools listed on the Security wiki.
U: which ones are approved
R: which AI tools are approved for customer data
A: The internal assistant and the enterprise plan of one vendor, reviewed by Security in March.
U: who do I ask to get a tool reviewed?
R: who do I ask to get an AI tool reviewed for use with customer data?

u: how do I book train travel in Europe?
A: Book through Navan; rail is preferred over flights for trips under 4 hours.
U: is first class allowed
R: is first class allowed for train travel in Europe
A: Only for journeys over 3 hours, or with a VP exception.
U: what about for the Paris office trip next week
R: is first class allowed for train travel for the Paris office trip next week

u: who is on the incident review board?
A: Rahul Menon chairs it, with Aisha Karimi, Ines Carvalho and Hugo Lambert.
U: when do they meet?
R: when does the incident review board meet?
A: Wednesdays at 16:00 UTC.
U: how do I put an incident on their agenda
R: how do I put an incident on the incident review board agenda

u: what's the default data retention for audit logs?
A: Audit logs are kept 400 days by default; enterprise customers can extend to 7 years.
U: how much does the extension cost
R: how much does extending audit log retention to 7 years cost
A: It's part of the Compliance add-on, listed at $4 per user per month.
U: which customers bought it this year
R: which customers bought the Compliance add-on this year

u: when does the Pune office reopen after Diwali?
A: The Pune office is closed November 1 to 3 and reopens November 4.
U: who's covering support during that time?
R: who's covering support while the Pune office is closed for Diwali?

u: roadmap for the Design Systems team
A: Q3 focuses on dark mode tokens, an accessible date picker, and migrating Beacon to the new component library.
U: who leads it
R: who leads the Design Systems team
A: Chloé Marchand, reporting to Yara Mansour.
U: when is the date picker due?
R: when is the Design Systems team's accessible date picker due?

u: Fjord meeting room capacity
A: Fjord seats 8, has a Zoom Room and a whiteboard wall; it's on the 3rd floor in Dublin.
U: is it free tomorrow at 2?
R: is the Fjord meeting room free tomorrow at 2?
A: No, it's booked 1 to 3pm by Hugo Lambert.
U: any other rooms that size then
R: any other meeting rooms that seat 8 in Dublin free tomorrow at 2

u: how many seats does Sunfield Credit Union have?
A: 1,150 seats on the Enterprise plan, 930 active last month.
U: who's their champion
R: who's Sunfield Credit Union's champion
A: Victor Almeida, their Head of Digital Workplace.
U: when did we last speak with him?
R: when did we last speak with Victor Almeida at Sunfield Credit Union?
""")

QR_TRAIN.append(r"""
u: minutes from the architecture review on Tuesday
A: Reviewed "Event bus consolidation" by Hugo Lambert; approved with conditions on schema versioning.
u: what were the conditions
A: A schema registry before migration, and backward compatibility for two releases.
u: who's building the registry
A: Pablo Ruiz from Developer Productivity, starting next sprint.
U: how long will it take him?
R: how long will it take Pablo Ruiz to build the schema registry?

u: travel approval rules
A: Trips over $2,000 or outside your home region need director approval in Navan before booking.
u: what counts as home region
A: Americas, EMEA or APAC, based on your employment country.
u: I'm in Toronto, going to Lisbon for 3 days
A: That's outside the Americas, so it needs director approval.
U: how far in advance do I need to book?
R: how far in advance do I need to book my Toronto to Lisbon trip?

u: Pinecrest customer list
A: Pinecrest, the analytics add-on, has 57 paying customers; the list is in Salesforce report "Pinecrest – active".
u: biggest by ARR
A: Tessaly Bank ($96k), Vantor Energy ($71k) and Castellan Insurance ($58k).
u: has Tessaly expanded this year?
A: Yes, they added 300 seats in March.
U: who ran that deal
R: who ran the Tessaly Bank 300-seat expansion deal in March

u: what is the incident severity scale?
A: SEV1 is a full outage or data loss, SEV2 a major feature down, SEV3 degraded, SEV4 minor.
U: who can declare a SEV1?
A: Any on-call engineer; the incident commander is then paged automatically.
U: how quickly do we post on the status page for those
R: how quickly do we post on the status page for a SEV1

U: quarterly business review template

u: who is Hannah Stein?
A: Hannah Stein is a senior customer success manager in New York, covering the Orion and Meridian accounts.
U: what's her manager's name
R: what's Hannah Stein's manager's name
A: Felipe Ortega, Director of Customer Success, Americas.
U: does he have any open roles?
R: does Felipe Ortega have any open roles?

u: where's the Q1 board deck?
A: "Board meeting – Q1" in the Exec shared drive; access is limited to the exec team and board.
U: who can grant me access
R: who can grant me access to the Q1 board deck
A: Corinne Blake, chief of staff to the CEO.
U: when's the next board meeting

u: how do I rotate a service's database credentials?
A: Use "vault rotate" with the service's role; the runbook "Rotating DB credentials" has steps.
U: does it cause downtime?
R: does rotating a service's database credentials cause downtime?
A: No, if the service reloads secrets; older services need a rolling restart.
U: which services still need the restart
R: which services still need a rolling restart after rotating database credentials

u: who's attending the Okafor Health renewal call?
A: From our side: Samuel Achebe, Elena Rossi and Rahul Menon. From Okafor: Dr. Ngozi Eze and their procurement lead.
U: why is Rahul on it
R: why is Rahul Menon on the Okafor Health renewal call
A: They asked for a review of the February storage incident.
U: is the incident summary ready to share?
R: is the February storage incident summary ready to share with Okafor Health?

u: gross margin last quarter
A: Gross margin was 74.2% in Q1, per the finance close memo by Kwame Mensah.
U: what was it a year ago
R: what was gross margin in Q1 last year
A: 71.8%.
U: what's the target for Q3
R: what's the gross margin target for Q3

u: who owns the corvel/web-app repo?
A: The Frontend Platform team; CODEOWNERS lists Marta Nowak and Ethan Caldwell.
U: which of them is on call
R: which of Marta Nowak and Ethan Caldwell is on call
A: Ethan Caldwell, until Friday.
U: how do I page him?
R: how do I page Ethan Caldwell?

u: what's the wifi password for guests in London?
A: Guests use "Corvel-Guest"; the password rotates weekly and is shown on the reception screen.
U: and for employees?
R: what's the wifi password for employees in London?

u: what's the bonus payout date?
A: Annual bonuses are paid with the March payroll, on March 28 this year.
U: how is it calculated
R: how is the annual bonus calculated
A: Target bonus times company multiplier times individual multiplier.
U: what was the company multiplier last year?
R: what was the company bonus multiplier last year?

u: latest message from Rupert Hale
A: Rupert Hale (Marlow & Finch) emailed yesterday asking for the SSO migration timeline.
U: did anyone reply?
R: did anyone reply to Rupert Hale's email about the SSO migration timeline?
A: Not yet. It's assigned to Samuel Achebe in the shared inbox.
U: what is the timeline actually
R: what is the SSO migration timeline for Marlow & Finch

u: which teams use the Kafka cluster in us-east?
A: Notifications, Search Infra, Analytics and Billing, according to the service catalog.
U: who's the cluster owner
R: who's the owner of the Kafka cluster in us-east
A: The Streaming team, led by Darius Farahani.
U: are they planning an upgrade?
R: is the Streaming team planning an upgrade of the us-east Kafka cluster?

u: sales kickoff agenda
A: SKO is January 14–16 in Denver; day 1 is product, day 2 territories, day 3 awards.
U: who's keynoting
R: who's keynoting the sales kickoff in Denver
A: CEO Martin Adebayo opens, and Elena Rossi closes on day 3.
U: do I need to book my own hotel?
R: do I need to book my own hotel for the sales kickoff in Denver?

u: customer feedback about search filters
A: 64 feedback items tagged "search-filters" in the last 90 days; the top ask is filtering by owner.
U: which customers asked the most
R: which customers asked the most about search filters
A: Redfern Schools, Sunfield Credit Union and Hollis Manufacturing.
U: is filter by owner on the roadmap?
R: is the search filter by owner on the roadmap?

u: how do I change my emergency contact?
A: In Workday: Personal > Contact Information > Emergency Contacts.
U: is it visible to my manager?
R: is my emergency contact visible to my manager?

u: retro notes from the Beacon launch
A: Retro by Jonas Weber: the launch went well, but onboarding emails went out 2 days late.
U: why were they late
R: why were the Beacon launch onboarding emails late
A: A template approval step in Marketing Ops was missed.
U: what did we change after that?
R: what did we change after the late Beacon onboarding emails?

u: who maintains the Terraform modules?
A: Platform Infra maintains corvel/terraform-modules; the lead is Sigrid Aalto.
U: how do I propose a new module
R: how do I propose a new Terraform module
A: Open an RFC issue in the repo using the "new module" template.
U: how long do reviews usually take?
R: how long do reviews of new Terraform module RFCs usually take?
""")
