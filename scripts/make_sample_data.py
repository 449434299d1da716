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
    blocks = [block for chunk in chunks for block in chunk.strip().split("\n----\n")]
    rows = []
    for block in blocks:
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
U: who owns the Atlas billing migration?
A: Marcus Feld on the Payments Platform team owns it; cutover is planned for June 14.
U: what's his email address
R: what's Marcus Feld's email address
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

U: how many PTO days do new hires get?
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

U: which repo has the search ranking service?
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

U: who does Priya Natarajan report to?
A: Gabriel Moreau, VP of Engineering.
U: how many people report to him
R: how many people report to Gabriel Moreau
A: Seven direct reports and 64 people in his org.
U: who's his chief of staff?
R: who's Gabriel Moreau's chief of staff?

U: how do I reset my VPN token?
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
U: is she hiring right now?
R: is Yara Mansour hiring right now?

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

U: what's the parental leave policy?
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

U: how much did we spend on AWS in March?
A: $812k in March, per the FinOps dashboard, 6% over budget.
U: and for February?
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

U: Q2 OKRs for the Growth team
A: Three objectives: raise trial conversion to 4.5%, launch Beacon referrals, and cut onboarding drop-off by 20%.
U: who owns the referrals one
R: who owns the Growth team's Beacon referrals OKR
A: Jonas Weber, product manager for Growth.
U: how far along is it?
R: how far along is the Beacon referrals OKR?

U: can I expense a co-working space?
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

U: what's the SLA for Okafor Health?
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
R: and the Cobalt sprint 13 review?

U: how do I request a second monitor?
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
U: and who does she report to?
R: who does Priya Natarajan report to?
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
U: and for iOS?
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
U: who's organizing it?
R: who's organizing the Sales EMEA offsite in Sintra?

u: error rate of the notifications service today
A: 0.8% 5xx errors since midnight, above the 0.5% SLO.
U: which endpoint is worst
R: which endpoint of the notifications service has the worst error rate today
A: POST /v2/digest, at 3.1% errors.
U: any recent deploys to it?
R: any recent deploys to the notifications service?
""")

QR_TRAIN.append(r"""
U: when is the next SOC 2 audit?
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

U: learning and development budget per person
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

U: API docs for the webhooks endpoint
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

U: when do performance reviews open?
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
U: what's her phone extension?
R: what's Ciara Byrne's phone extension?

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

U: what's our policy on using personal AI tools with customer data?
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

U: what is the incident severity scale?
A: SEV1 is a full outage or data loss, SEV2 a major feature down, SEV3 degraded, SEV4 minor.
U: who can declare a SEV1?
A: Any on-call engineer; the incident commander is then paged automatically.
U: how quickly do we post on the status page for those
R: how quickly do we post on the status page for a SEV1

U: where's the quarterly business review template

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

U: what was gross margin last quarter?
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
U: who's keynoting it?
R: who's keynoting the sales kickoff in Denver?
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

QR_TRAIN.append(r"""
u: who runs the Berlin office?
A: Katrin Vogel is the Berlin site lead; 140 people work there.
U: no, I meant the engineering lead there
R: who is the engineering lead in the Berlin office
A: Tobias Brandt is the senior engineering lead on site.
U: what teams sit on his floor?
R: what teams sit on Tobias Brandt's floor in the Berlin office?

u: compare Kestrel and Osprey launch dates
A: Kestrel launches August 20; Osprey launches July 24.
U: which one has more open bugs
R: which has more open bugs, Kestrel or Osprey
A: Kestrel has 41 open bugs, Osprey 17.
U: how many of Kestrel's are blockers?
R: how many of Kestrel's open bugs are blockers?

u: who attended the pricing committee last week?
A: Claire Dubois, Anil Gupta, Kwame Mensah and Elena Rossi.
U: did they approve the Starter tier
R: did the pricing committee approve the Starter tier last week
A: Yes, with a limit of 10 users per workspace.
U: when does it go live?
R: when does the Starter tier go live?

U: sick leave policy in Germany
A: Employees in Germany get full pay for up to 6 weeks of illness; a doctor's note is needed from day 4.
U: same question for Ireland
R: sick leave policy in Ireland
A: Ireland gives 10 paid sick days a year at full pay, with a note after 2 consecutive days.
U: how do I log it in Workday
R: how do I log sick leave in Workday

u: who's my HR business partner?
A: For Engineering in EMEA it's Sinéad Walsh.
U: when are her office hours
R: when are Sinéad Walsh's office hours
A: Tuesdays 2–4pm, bookable through her calendar.
U: can she help with a visa question?
R: can Sinéad Walsh help with a visa question?

u: what's blocking the Atlas cutover?
A: Two things: reconciliation reports don't match for EUR invoices, and Finance hasn't signed off on the test plan.
U: who's looking at the EUR issue
R: who's looking at the Atlas EUR invoice reconciliation issue
A: Zainab Yusuf from Payments Platform.
U: and the Finance sign-off?
R: who's handling the Finance sign-off on the Atlas cutover test plan?

u: list of customers on the EU data region
A: 212 workspaces are hosted in eu-central, including Tessaly Bank, Marlow & Finch and Hollis Manufacturing.
U: which of those are on the Enterprise plan
R: which customers on the EU data region are on the Enterprise plan
A: 38, including all three named above.
U: export that list
R: export the list of Enterprise customers on the EU data region

U: what's the corporate card limit?
A: Standard corporate cards have a $5,000 monthly limit; directors have $15,000.
U: how do I request an increase?
R: how do I request a corporate card limit increase?
A: Submit a request in the Finance portal with your manager's approval.
U: how long does that take
R: how long does a corporate card limit increase take

u: Looker dashboard for support backlog
A: "Support – Backlog & SLA" in Looker, owned by Support Ops lead Renata Silva.
U: how many tickets are over SLA right now
R: how many support tickets are over SLA right now
A: 27 tickets, 9 of them for Enterprise customers.
U: which enterprise customers are those?
R: which Enterprise customers have support tickets over SLA right now?

u: who's the DPO?
A: Our Data Protection Officer is Mathilde Fournier, in the Legal team in Paris.
U: how do customers reach her?
R: how do customers reach Mathilde Fournier, the DPO?
A: Through dpo@corvel.io, which is monitored by the privacy team.
U: how many DSARs came in last month
R: how many DSARs came in to the DPO last month

u: onboarding checklist for new managers
A: "New manager onboarding" on the People wiki: 30/60/90-day checklist and required training.
U: what training is required
R: what training is required for new managers
A: "Hiring fairly", "Managing performance" and "Inclusive leadership", all within 60 days.
U: where do I sign up for the first one?
R: where do I sign up for the "Hiring fairly" training?

u: what changed in the expense policy this year?
A: Hotel caps went up 10%, and alcohol is no longer reimbursable except at client dinners.
U: who announced that
R: who announced the expense policy changes this year
A: CFO Ingrid Halvorsen, in a January 8 email to all staff.
U: is there an FAQ?
R: is there an FAQ for this year's expense policy changes?

u: Q3 planning doc for Mobile
A: "Mobile Q3 plan" by Keisha Brown: offline mode GA, tablet layouts and crash-free rate above 99.7%.
U: what's the crash-free rate now
R: what's the mobile app crash-free rate now
A: 99.4% on iOS and 99.1% on Android over the last 30 days.
U: and 3 months ago?
R: what was the mobile app crash-free rate 3 months ago?

u: who is Zainab Yusuf?
A: Zainab Yusuf is a senior engineer on Payments Platform in London.
U: is she in the office tomorrow?
R: is Zainab Yusuf in the office tomorrow?

u: how many people are in the Sales org?
A: 186 people: 94 in the Americas, 62 in EMEA and 30 in APAC.
U: how many are quota-carrying
R: how many people in the Sales org are quota-carrying
A: 121 quota-carrying reps and managers.
U: what's attainment so far this year?
R: what's quota attainment so far this year for the Sales org?

u: last email from the Vantor Energy procurement team
A: Dilnoza Karimova from Vantor procurement sent a security questionnaire on Tuesday, due June 7.
U: who's filling it in
R: who's filling in the Vantor Energy security questionnaire
A: Nadia Benali from Security, with help from Solutions Engineering.
U: have we answered one like it before?
R: have we answered a security questionnaire like Vantor Energy's before?

u: wiki page for the Helix project
A: "Helix – home" in the Platform space: a project to unify internal service discovery.
U: who's on it
R: who's on the Helix project
A: Sigrid Aalto (lead), Darius Farahani and two engineers from SRE.
U: what's their next milestone?
R: what's the Helix project's next milestone?

u: holiday calendar 2024 for the US
A: 11 company holidays in the US, plus a winter shutdown from December 24 to January 1.
U: is the day after Thanksgiving off?
A: Yes, November 29 is a company holiday.
U: what about Juneteenth
R: is Juneteenth a company holiday in the US

u: which dashboards use the old metrics API?
A: 19 Grafana dashboards still query /v1/metrics, mostly in the Billing and Notifications folders.
U: when is it being removed
R: when is the old /v1/metrics API being removed
A: August 31, per the deprecation notice from the Observability team.
U: who do I ask for help migrating?
R: who do I ask for help migrating dashboards off the old metrics API?

U: how many open roles do we have right now?
A: 47 open requisitions: 22 in Engineering, 11 in Sales, 14 elsewhere.
U: which of the engineering ones are remote
R: which of the open engineering roles are remote
A: 9, including two SRE roles and the staff ML engineer.
U: who's hiring for the ML one?
R: who's the hiring manager for the remote staff ML engineer role?

u: what's the latest on the Quillon Media migration?
A: Quillon Media's migration from their old intranet is 70% done; cutover is June 21.
U: who's their main contact
R: who's Quillon Media's main contact for the migration
A: Bettina Kraus, IT program manager at Quillon.
U: what's left to migrate?
R: what's left to migrate for Quillon Media?

u: who's speaking at the Data Eng guild this month?
A: Amara Osei on backfilling with Airflow, on May 29.
U: can I get the slides afterwards?
R: can I get the slides for Amara Osei's Data Eng guild talk afterwards?

u: what tools does Finance use for forecasting?
A: Anaplan for the operating plan and Looker for actuals.
U: who administers the first one
R: who administers Anaplan for Finance
A: Kwame Mensah and the FP&A team.
U: how do I get a license?
R: how do I get an Anaplan license?
""")

QR_TRAIN.append(r"""
u: who's running the Driftwood beta?
A: Noor Hassan, product manager for Integrations; the beta has 12 customers.
U: what's the Slack channel for the Driftwood beta?
A: #driftwood-beta, shared with the 12 beta customers.
U: how do I set an out-of-office message in Gmail

u: how many laptops did IT ship last month?
A: 74 laptops: 52 for new hires and 22 replacements.
U: what's the standard laptop for engineers?
A: A 14-inch MacBook Pro with 32 GB RAM; Linux laptops are available on request.
U: can I get the 16-inch one
R: can I get the 16-inch MacBook Pro as an engineer

u: who owns the billing-events topic?
A: The Billing team; the contact listed is Zainab Yusuf.
U: what's the schema for billing-events
R: what's the schema for the billing-events topic
A: Avro schema "BillingEvent v7" in the schema registry, with 23 fields.
U: who is on call for Billing right now?

U: who won the President's Club this year?

u: Marigold roadmap
A: Marigold (workflow automation) plans approvals in Q3 and a rules engine in Q4; PM is Isabel Cortez.
U: is Isabel Cortez hiring a designer for Marigold?
A: Yes, a senior product designer role opened May 20.
U: what's the interview process for product designers?

u: what's the escalation path for a Sev2 on the search API?
A: Page Search Infra on-call, then the engineering manager Omar Siddiqui after 30 minutes.
U: show me recent Sev2 incidents on the search API
A: Two in the last 90 days: INC-790 (index lag) and INC-834 (timeouts after a deploy).
U: what caused the second one
R: what caused INC-834, the search API timeouts after a deploy

u: when is Hugo Lambert back from leave?
A: His calendar shows him out until June 17.
U: who is covering for Hugo Lambert on the event bus work?
A: Pablo Ruiz is covering, per Hugo's out-of-office note.
U: where is the company travel policy page?

u: weekly metrics email from Analytics
A: "Weekly metrics – May 20" from the Analytics team: WAU 1.42M, up 3%, churn flat.
U: who writes it?
R: who writes the weekly metrics email from Analytics?
A: Ravi Shankar compiles it every Monday.
U: how can I subscribe to the weekly metrics email?

u: dental coverage for UK employees
A: UK employees get Bupa dental cover, including two check-ups a year, with family add-on available.
U: does Corvel offer vision insurance in the US?
A: Yes, through VSP, with an annual eye exam and a $200 frame allowance.
U: when is open enrollment
R: when is open enrollment for US benefits

U: who is the CEO's executive assistant?

u: who built the churn prediction model?
A: Ravi Shankar and Emeka Nwachukwu on the Analytics team, launched in February.
U: how accurate is the churn prediction model?
A: AUC of 0.81 on the last quarter's holdout, per the model card.
U: which features matter most in it
R: which features matter most in the churn prediction model

u: Zoom recording of the customer advisory board
A: The May 14 customer advisory board recording is in the Product shared drive, 2 hours 5 minutes.
U: what did Hollis Manufacturing say about mobile offline mode?
A: Their ops lead, Reggie Moss, said offline mode is a must-have for plant floors.
U: did anyone else ask for that
R: did anyone else at the customer advisory board ask for mobile offline mode

U: how do I submit a mileage claim in Concur?

u: where are the brand fonts?
A: In the "Brand assets" shared drive under Fonts; the primary typeface is Inter.
U: what's the process to request a new laptop bag?

U: SOC 2 report for customers

u: who's the product manager for search?
A: Wei Zhang handles query autocomplete, but the search PM is Lucía Ferrer.
U: what's on Lucía Ferrer's roadmap for Q3?
A: Semantic search GA, saved searches, and admin analytics.
U: when is the first one shipping
R: when is semantic search GA shipping

u: who's the Jira admin?
A: Tracker is administered by Developer Productivity; the admin contact is Pablo Ruiz.
U: how do I create a new Tracker project?
A: Fill in the "New Tracker project" form; Developer Productivity sets it up within two days.
U: how much does the Confluence license cost per user?

U: all-hands schedule for the rest of the year

u: what's the uptime target for the public API?
A: 99.9% monthly, measured by external probes from five regions.
U: what was public API uptime in April?
A: 99.97%, with one short blip on April 11.
U: and in March
R: what was public API uptime in March
""")


# ---------------------------------------------------------------------------------------------------------------------
# Query rewriting, held-out (entities and situations kept apart from train)
# ---------------------------------------------------------------------------------------------------------------------
QR_HELDOUT.append(r"""
U: who is leading Project Larkspur?
A: Adaeze Nwosu, engineering manager on the Identity team; Larkspur replaces the legacy permissions service.
U: when is it supposed to finish
R: when is Project Larkspur supposed to finish
A: The plan targets end of October, with a shadow-traffic phase in September.
U: what's her team's on-call rotation?
R: what's Adaeze Nwosu's team's on-call rotation?

U: relocation package for moving to the Singapore office

U: how does equity vesting work for new hires?
A: Four-year vesting with a one-year cliff, then monthly vesting for the remaining three years.
U: what happens to it if I leave before the cliff
R: what happens to my equity if I leave before the one-year vesting cliff
A: Unvested shares are forfeited; nothing vests before the cliff.
U: who can explain my grant in detail?
R: who can explain my equity grant in detail?

u: load test results for Quarry
A: "Quarry load test, round 3" by Henrik Dahl: sustained 9k requests/s, p99 under 250 ms.
U: what broke first
R: what broke first in the Quarry round 3 load test
A: The connection pool to the metadata database saturated at 11k requests/s.
U: is there a fix planned for that?
R: is there a fix planned for the Quarry metadata database connection pool saturation?

U: who's the CSM for Sunward Airlines?
A: Malik Johnson, based in Chicago, since last October.
U: what's their health score
R: what's Sunward Airlines' health score
A: 62 out of 100, down from 78 last quarter; flagged amber.
U: why did it drop?
R: why did Sunward Airlines' health score drop?
A: Weekly active users fell after they paused their rollout to cabin crew.
U: when do they plan to resume
R: when does Sunward Airlines plan to resume their rollout to cabin crew

U: is there a sabbatical program?
A: Yes, after 5 years of service employees can take 4 weeks of paid sabbatical.
U: can I combine it with regular PTO?
R: can I combine the paid sabbatical with regular PTO?
A: Yes, up to 2 extra weeks, with manager approval.
U: how far ahead do I need to apply
R: how far ahead do I need to apply for a sabbatical

U: which tests are the flakiest in CI right now?
A: The top three are checkout_e2e, search_sync_integration and calendar_tz_spec, per the CI health dashboard.
U: who owns the second one
R: who owns the search_sync_integration test
A: Priyanka Iyer on the Connectors team.
U: how often does it fail?
R: how often does the search_sync_integration test fail?

u: the DPA that Ravenmoor Pharma sent back
A: Ravenmoor Pharma returned the DPA on Monday with redlines on sub-processor notice periods.
U: what notice period do they want
R: what sub-processor notice period does Ravenmoor Pharma want in the DPA
A: 60 days instead of our standard 30.
U: have we agreed to that for anyone else?
R: have we agreed to a 60-day sub-processor notice period for any other customer?

u: who's in charge of the Warsaw office move?
A: Piotr Zieliński from Workplace, with the move planned for the weekend of September 14.
U: where is the new office
R: where is the new Warsaw office
A: Prosta 20 in Wola, floors 7 and 8.
U: is there bike parking?
R: is there bike parking at the new Warsaw office at Prosta 20?

U: what's the on-call compensation policy?
A: Engineers on primary on-call get a flat weekly stipend plus time off in lieu for pages outside hours.
U: how much is the stipend
R: how much is the on-call weekly stipend
A: $400 a week in the US; local equivalents elsewhere.
U: what about secondary?
R: how much is the on-call weekly stipend for secondary?

u: results of the accessibility audit
A: The audit by an external firm found 37 WCAG 2.1 AA issues in the web app, 8 rated critical.
U: which pages had the critical ones
R: which pages had the critical WCAG issues in the accessibility audit
A: The search results page, the date picker and the sharing dialog.
U: when are they due to be fixed?
R: when are the critical accessibility audit issues due to be fixed?

u: Tidewater kickoff deck
A: "Tidewater kickoff" by Camille Roux: moving document previews to a new rendering service by Q1.
U: who's the tech lead on it?
R: who's the tech lead on Tidewater?
A: Yusuf Demir from the Content Platform team.
U: what languages is he using for it
R: what languages is Yusuf Demir using for Tidewater

u: referral bonus amount
A: $3,000 for engineering referrals and $2,000 for other roles, paid after the hire's 90th day.
U: does it apply to interns
R: does the referral bonus apply to interns

u: who's presenting the Q2 business review to the board?
A: CFO Fiona Gallagher and COO Leon Hartmann, on July 18.
U: has the draft been shared?
R: has the draft of the Q2 business review for the board been shared?
A: A first draft went to the exec team on July 9.
U: can I see her section on cash flow
R: can I see Fiona Gallagher's section on cash flow in the Q2 business review draft

u: scheduled maintenance windows this month
A: Two: database upgrades on June 8 at 02:00 UTC and a network change on June 22 at 03:00 UTC.
U: which customers are affected by the first one
R: which customers are affected by the June 8 database upgrade maintenance
A: All workspaces in ap-southeast, including Harbourline Freight and Westbrook College.
U: did we notify them?
R: did we notify the ap-southeast customers about the June 8 database upgrade maintenance?

u: who's the contact at Thornbury District Council?
A: Eileen Cassidy, their digital services manager, signed the contract in March.
U: what did they buy
R: what did Thornbury District Council buy
A: 800 seats on the Government plan, with the data residency add-on.
U: is their rollout on schedule?
R: is Thornbury District Council's rollout on schedule?

U: how do I sign up for the mentorship program

u: who is Kenji Morimoto?
A: Kenji Morimoto is a principal engineer in the Tokyo office working on search relevance.
U: what did he present at the last tech talk?
R: what did Kenji Morimoto present at the last tech talk?
A: "Learning to rank with click data", on May 30.
U: is the recording available
R: is the recording of Kenji Morimoto's "Learning to rank with click data" tech talk available

u: pen test report from this spring
A: The spring penetration test found 2 high, 5 medium and 11 low findings; report by Astrid Lindqvist.
U: are the highs fixed
R: are the high findings from the spring penetration test fixed
A: One is fixed; the other, an IDOR in the export API, is in progress.
U: who's working on the export one?
R: who's working on the IDOR in the export API?

u: Ember design review
A: The Ember design review is Thursday at 15:00; the doc "Ember: offline sync for notes" is by Greta Schulz.
U: who are the reviewers
R: who are the reviewers for the Ember design review
A: Arjun Mehta and Thandiwe Dlamini, plus Security.
U: where can I leave comments?
R: where can I leave comments on the Ember design doc?
A: Comment directly in the doc; comments close Wednesday at noon.
U: how do I get a Figma license

u: customers using the Salesforce connector
A: 143 workspaces have the Salesforce connector enabled; the largest is Blue Heron Foods.
U: how many of them had sync errors this week
R: how many workspaces using the Salesforce connector had sync errors this week
A: 9 workspaces, mostly from API limit errors.
U: was Blue Heron one of them?
R: was Blue Heron Foods one of the workspaces with Salesforce connector sync errors this week?

U: how do I report a phishing email?
A: Use the "Report phish" button in Gmail, or forward it to security@corvel.io.
U: what happens after I report it
R: what happens after I report a phishing email
A: Security reviews it within an hour and blocks the sender if needed.
U: how many were reported last month?
R: how many phishing emails were reported last month?

u: ERG events in June
A: Pride ERG hosts a panel on June 12 and a social on June 27; Women in Tech hosts a workshop June 19.
U: who's organizing the panel
R: who's organizing the Pride ERG panel on June 12
A: Joaquín Herrera and Esther Kimani.
U: is it in person or virtual?
R: is the Pride ERG panel on June 12 in person or virtual?

u: price increase letter for Calloway Legal
A: Drafted by Sunita Rao in Sales Ops: a 7% uplift at renewal on August 1.
U: has it been sent
R: has the price increase letter for Calloway Legal been sent
A: Not yet, it's waiting for approval from Declan Murphy.
U: what's his role at Corvel?
R: what's Declan Murphy's role at Corvel?

U: which services are still on Java 11?
A: Six services, including export-svc, audit-writer and the legacy reports API.
U: deadline to upgrade them
R: deadline to upgrade the services still on Java 11
A: December 31, when vendor support ends.
U: what about Python 3.8 services
R: deadline to upgrade services still on Python 3.8

U: where's the contractor onboarding checklist?

u: Bramble experiment results
A: The Bramble A/B test on the new search snippet format raised click-through by 4.2%, led by Mei-Ling Tsao.
U: was it significant
R: was the Bramble A/B test result significant
A: Yes, p < 0.01 over 2.1M sessions.
U: are we rolling it out to everyone?
R: are we rolling out the Bramble search snippet format to everyone?

u: expense a conference ticket
A: Conference tickets come from the learning budget; book through Navan or expense in Concur with the receipt.
U: what's the hotel cap in Sydney?
A: A$280 per night in Sydney.
U: how much is the per diem there
R: how much is the per diem in Sydney

u: who approves open source contributions?
A: The OSS review group in Legal and Engineering; Rafael Quintero runs the intake.
U: how long does his review take
R: how long does Rafael Quintero's open source contribution review take
A: Usually 3 business days for small patches.
U: do I need approval to fix a typo in docs?
R: do I need approval to fix a typo in open source project docs?

u: São Paulo office opening
A: The São Paulo office opens on August 5 with 25 people from Sales and Support.
U: who's the site lead
R: who's the site lead for the São Paulo office
A: Beatriz Lacerda, currently a support manager.
U: what's the printer setup like there
R: what's the printer setup like in the São Paulo office

u: what is Keystone?
A: Keystone is the project to offer a self-hosted edition of the product for regulated industries.
U: who asked for it
R: who asked for Keystone, the self-hosted edition
A: Mostly banks and health systems; Ostrava Steelworks also asked on a call last month.
U: is there a waitlist?
R: is there a waitlist for Keystone?

u: Oluwaseun Bello's team
A: Oluwaseun Bello leads Support Engineering for EMEA, with 9 engineers in Dublin and Warsaw.
U: what's their backlog like
R: what's the EMEA Support Engineering team's backlog like
A: 58 open escalations, 12 older than a week.
U: what's the fastest way to reach the support engineering manager in APAC?

u: what's the localization status for Japanese?
A: The web app is 96% translated into Japanese; mobile is at 81%.
U: who's the translator for it
R: who's the translator for Japanese
A: Translations go through our vendor; Kenji Morimoto reviews terminology.
U: what about German?
R: what's the localization status for German?
""")


# ---------------------------------------------------------------------------------------------------------------------
# Summarization, train
# ---------------------------------------------------------------------------------------------------------------------
SUM_TRAIN.append(r"""
D:
Kestrel weekly sync, May 14
Dana: API freeze was supposed to be Wednesday. Where are we?
Marcus: Payments endpoints are done. The refunds endpoint still needs pagination.
Keisha: Android token refresh is still failing on older devices. I have a fix in review, should merge tomorrow.
Dana: Then let's move the freeze to Friday. Does that hurt QA?
Lina: QA needs three full days. Friday freeze means testing runs into Wednesday, so launch stays August 20 but it's tight.
Dana: OK. Freeze Friday, no more slips. Marcus, can you pair with Keisha if the fix isn't merged by tomorrow noon?
Marcus: Yes.
S: The Kestrel API freeze moved from Wednesday to Friday because of the unfinished refunds pagination and Keisha's Android token refresh fix; the August 20 launch holds, with QA needing three days.
----
D:
Subject: Re: Okafor Health SLA credit
From: Samuel Achebe
To: Elena Rossi, Rahul Menon

Elena, Okafor's procurement lead asked again about credits for February. Uptime was 99.91% against a 99.95% commitment, so the contract gives them 5% of the monthly fee, which is about $2,100.

From: Elena Rossi
Let's issue the credit without waiting for a formal claim. It's a renewal year and they were gracious about the incident. Rahul, can you send Samuel a one-page incident summary he can share?

From: Rahul Menon
Will do by Thursday. I'll leave out internal hostnames.
S: Elena Rossi approved issuing Okafor Health a roughly $2,100 SLA credit for February's 99.91% uptime without a formal claim, and Rahul Menon will send Samuel Achebe a shareable incident summary by Thursday.
----
Q: what caused the outage?
D:
Postmortem: INC-812, SSO login outage (May 3)
Impact: From 14:05 to 14:52 UTC, users signing in through SAML SSO got an "invalid signature" error. About 38% of active workspaces use SAML. Password and Google logins were unaffected.
Root cause: The SAML signing certificate expired at 14:00 UTC. It had been created manually three years ago and was not tracked by our certificate inventory, so no expiry alert fired.
Resolution: Rahul Menon generated a new certificate, and Customer Success sent the new metadata to the 11 customers whose IdPs pin certificates.
Follow-ups: add all SAML certs to the inventory with 30-day expiry alerts (Aisha), write a rotation runbook (Rahul), move signing keys into Vault (Security, Q3).
S: The May 3 SSO outage was caused by an expired SAML signing certificate that had been created manually and was missing from the certificate inventory, so no expiry alert fired.
----
D:
Atlas billing migration, status update, week of May 20
Overall: amber.
Done: all US customers' invoices were generated in parallel by the old and new systems for two billing cycles, with a 99.98% match rate.
In progress: EUR invoices don't reconcile for 140 accounts because of rounding in VAT lines. Zainab Yusuf is on it and expects a fix next week.
Blocked: Finance has not signed off on the cutover test plan. Marcus Feld has a review with Ingrid Halvorsen on Thursday.
Cutover remains June 14 if both items close by June 5; otherwise the fallback date is July 12.
S: Atlas is amber: US invoices match 99.98%, but 140 EUR accounts fail reconciliation on VAT rounding and Finance hasn't approved the test plan; the June 14 cutover holds only if both close by June 5, else July 12.
----
D:
#search-infra, Tuesday
Wei: rank-svc p99 jumped to 900ms around 10:40
Tobias: looking. deploy 10:32 was the new feature store client
Lena: roll back?
Tobias: rolling back now
Tobias: p99 back to 180ms. the new client opens a connection per request, no pooling
Wei: nice catch. can we add a latency check to the canary?
Lena: yes, make it a blocker for the next deploy. Tobias, ticket please
Tobias: SRCH-1402 created, will fix pooling and add canary check
S: A 10:32 rank-svc deploy of the new feature store client pushed p99 latency to 900 ms because it opened a connection per request; Tobias rolled it back and filed SRCH-1402 to add pooling and a canary latency check.
----
D:
Travel policy: booking and approvals
All business travel must be booked through Navan so that we can locate travelers in an emergency. Trips costing more than $2,000, or travel outside your home region (Americas, EMEA, APAC), need director approval before booking. Economy class is standard for flights under 6 hours; premium economy is allowed for longer flights, and business class needs a VP exception. Rail is preferred over flying for journeys under 4 hours. Book at least 14 days ahead where possible. Personal travel added to a business trip is allowed if it doesn't increase the cost to Corvel.
S: Corvel's travel policy requires booking through Navan, director approval for trips over $2,000 or outside your home region, economy for flights under 6 hours, rail for trips under 4 hours, and booking 14 days ahead.
----
Q: which flights can be premium economy?
D:
Travel policy: booking and approvals
All business travel must be booked through Navan so that we can locate travelers in an emergency. Trips costing more than $2,000, or travel outside your home region (Americas, EMEA, APAC), need director approval before booking. Economy class is standard for flights under 6 hours; premium economy is allowed for longer flights, and business class needs a VP exception. Rail is preferred over flying for journeys under 4 hours. Book at least 14 days ahead where possible. Personal travel added to a business trip is allowed if it doesn't increase the cost to Corvel.
S: Premium economy is allowed on flights of 6 hours or longer; shorter flights are economy, and business class always needs a VP exception.
----
D:
Ticket #48213, Brightwater Logistics
Priority: High
Reported by: Paul Everett (IT admin)
Summary: Documents from our TMS stopped appearing in search since Monday.
Details: The TMS connector shows "last sync: 3 days ago". No errors in the admin console. About 4,000 shipment documents are missing.
Agent notes (Renata): Connector logs show 401s from the TMS API starting Monday 06:00. Customer confirmed they rotated their API key Monday morning. Asked them to update the key in the connector settings. After the update, a full resync started; ETA 2 hours.
Status: Resolved, pending customer confirmation.
S: Brightwater Logistics' TMS documents stopped syncing on Monday because the customer rotated their API key; after Renata had them update it in the connector, a full two-hour resync began and the ticket awaits confirmation.
----
D:
Release notes, 4.12 (April 22)
New: Okta SSO with SCIM provisioning for Enterprise plans. Admins can map Okta groups to Corvel spaces.
New: Bulk export of search results to CSV, up to 50,000 rows.
Improved: Calendar results now show the meeting organizer and attendee count.
Fixed: Calendar sync no longer duplicates recurring events after a time zone change.
Fixed: The mobile app kept users logged out after a password reset.
Rollout: available to all regions by April 24.
S: Release 4.12 (April 22) added Okta SSO with SCIM for Enterprise and CSV bulk export up to 50,000 rows, improved calendar results, and fixed duplicated recurring events and a mobile logout bug.
----
D:
Hi team,

After a lot of discussion, we've decided to sunset the legacy reports module. It serves about 6% of workspaces, costs us two engineers' worth of maintenance a year, and the new Analytics dashboards now cover every report except the custom SQL one.

Timeline: reports become read-only on July 1 and are switched off on September 30. Customers using custom SQL reports will get early access to the analytics API. Customer Success will reach out to the 90 most active workspaces in June.

The full decision memo is on the product wiki.

Anil
S: Anil announced that the legacy reports module, used by about 6% of workspaces, becomes read-only July 1 and shuts down September 30; custom SQL users get early analytics API access, and Customer Success contacts 90 top workspaces in June.
----
Q: what do customers need to do?
D:
Hi team,

After a lot of discussion, we've decided to sunset the legacy reports module. It serves about 6% of workspaces, costs us two engineers' worth of maintenance a year, and the new Analytics dashboards now cover every report except the custom SQL one.

Timeline: reports become read-only on July 1 and are switched off on September 30. Customers using custom SQL reports will get early access to the analytics API. Customer Success will reach out to the 90 most active workspaces in June.

The full decision memo is on the product wiki.

Anil
S: Customers must move off legacy reports before September 30, as reports go read-only July 1; those relying on custom SQL reports can switch to the analytics API through early access.
----
D:
Interview debrief: Daniel Kowalski, Senior Backend Engineer
Sofia: Coding round was strong, clean code, good tests. System design was weaker. He designed a single-region queue and didn't think about failover until prompted.
Omar: I saw the same gap but he recovered well once we talked about it. His Kafka experience is real.
Julia: Culture and collaboration round was great. He's mentored two juniors at his current job.
Omar: I'm a hire at senior, not staff.
Sofia: I'd be lean no hire for senior given the design round, but I wouldn't block.
Omar: Then the recommendation is hire at senior. I'll send it to Lena for the final call.
S: The panel recommended hiring Daniel Kowalski as a senior (not staff) backend engineer despite Sofia's lean-no-hire on system design; Omar will send the recommendation to Lena for the final decision.
----
D:
Parental leave
All employees, regardless of gender or how they become a parent, are eligible for 16 weeks of fully paid parental leave. Leave can be taken in one block or in up to three blocks, and must be used within 12 months of the birth, adoption or foster placement. Employees must have worked at Corvel for at least 3 months. Let your manager and People team know at least 8 weeks before your planned start. Where local law gives more generous leave, local law applies. Contractors are covered by their agency's policy instead.
S: Employees with at least 3 months' service get 16 weeks of fully paid parental leave, usable in up to three blocks within 12 months, with 8 weeks' notice; contractors are excluded.
----
D:
Subject: Marlow & Finch onsite, logistics
From: Samuel Achebe

Hi all, confirmed details for Tuesday:
- Visitors: Rupert Hale (CTO), Gemma Lyle and Oscar Trent (engineers).
- 9:30 arrival, London office, room Thames. Reception has their names.
- 10:00 roadmap session with Lucía; 11:30 SSO migration deep dive with Rahul.
- Lunch is booked for 12:30 at the Italian place downstairs, 8 people.
- 14:00 wrap-up and next steps.
Please don't bring laptops into the roadmap session unless you're presenting. They asked for it to be a conversation, not a demo.
S: Samuel Achebe confirmed Tuesday's London onsite with Marlow & Finch's Rupert Hale, Gemma Lyle and Oscar Trent: 9:30 arrival in room Thames, a roadmap session with Lucía, an SSO deep dive with Rahul, and lunch at 12:30.
----
D:
Design doc excerpt: Per-tenant throttling (Julia Meier)
Problem: A single large tenant can saturate the search API and raise latency for everyone. In March, one customer's nightly export script caused p99 to triple for 40 minutes.
Proposal: Add a token-bucket limiter per tenant at the API gateway. Default budget is 50 requests/second with bursts to 200. Enterprise contracts can set custom budgets. Requests over budget get HTTP 429 with a Retry-After header.
Alternatives considered: global limits (too blunt), queue-based fairness (more complex, needs a new service).
Open question: should internal services be exempt?
S: Julia Meier proposes a per-tenant token-bucket limiter at the API gateway (50 requests/second, bursts to 200, custom for Enterprise, 429 with Retry-After) after one tenant's export tripled p99 in March; exempting internal services is undecided.
----
D:
Growth OKR check-in, end of April
Objective 1: trial-to-paid conversion at 3.9% vs a 4.5% target. The new onboarding checklist lifted activation, but conversion lags by about two weeks.
Objective 2: Beacon referrals. Scope is done, build starts in June after the pricing decision. At risk.
Objective 3: onboarding drop-off down 14% against a 20% goal. The biggest remaining drop is at the "connect your first app" step.
Jonas will bring a proposal to simplify app connection to the next product review.
S: At the end of April, Growth had conversion at 3.9% of a 4.5% target, Beacon referrals at risk with build starting in June, and onboarding drop-off down 14% of 20%; Jonas will propose simplifying app connection.
----
Q: which objective is at risk?
D:
Growth OKR check-in, end of April
Objective 1: trial-to-paid conversion at 3.9% vs a 4.5% target. The new onboarding checklist lifted activation, but conversion lags by about two weeks.
Objective 2: Beacon referrals. Scope is done, build starts in June after the pricing decision. At risk.
Objective 3: onboarding drop-off down 14% against a 20% goal. The biggest remaining drop is at the "connect your first app" step.
Jonas will bring a proposal to simplify app connection to the next product review.
S: The Beacon referrals objective is at risk: scoping is finished, but the build can't start until June, after the pricing decision.
----
D:
#it-helpdesk
Olu: my laptop won't connect to VPN since this morning, says "certificate not trusted"
Haruka (IT): are you on macOS 14.5?
Olu: yes, updated last night
Haruka (IT): that update broke our VPN profile. open Self Service and run "Reinstall VPN profile", then restart
Olu: worked, thanks!
Haruka (IT): posting a notice in #announcements, we've had 15 of these today
S: Olu's VPN "certificate not trusted" error came from the macOS 14.5 update; Haruka from IT fixed it by having him reinstall the VPN profile from Self Service and is posting a company-wide notice after 15 similar reports.
----
D:
Customer call notes: Kinnear Foods, May 9
Attendees: Graham Oduya (IT director, Kinnear), Samuel Achebe, Lucía Ferrer
Graham joined in April after Laura Pritchard left. He wasn't involved in the original purchase and is reviewing all tools.
Usage is down 35% since March. Graham says the warehouse teams never got trained and most users only search email.
He is open to renewing if we can show value by August. Asked for a training plan for warehouse supervisors and a usage report by department.
Next steps: Samuel sends the usage report by May 16; Lucía's team schedules two training sessions in June.
S: Kinnear Foods' new IT director Graham Oduya will consider renewing if value is shown by August; Samuel Achebe sends a departmental usage report by May 16 and Lucía Ferrer's team runs two warehouse supervisor trainings in June.
----
D:
Subject: Laptop refresh
From: IT Operations

Starting June 1, laptops will be refreshed every 4 years instead of 3. Engineers and designers stay on a 3-year cycle because of build and rendering workloads. If your laptop fails or becomes too slow for your work before then, open a hardware request and IT will assess it; you won't be refused a replacement just because of its age. Old laptops are wiped and donated to Code Bridge, a coding school for adults. This change saves about $380k a year.
S: From June 1, Corvel's laptop refresh cycle goes from 3 to 4 years, except for engineers and designers who stay at 3; failing laptops can still be replaced early, and the change saves about $380k a year.
----
D:
Quarterly planning, Data Eng, notes
Svetlana: Tamarack has to land before the SOC 2 audit in August, so it takes priority over the Airflow upgrade.
Nikolai: Then the Airflow upgrade moves to Q4. We'll need to patch the scheduler bug by hand until then.
Amara: I can own the patch. Low effort.
Svetlana: Good. Second, the warehouse costs: we're at $41k a month and Finance wants us under $35k.
Nikolai: Turning off the hourly snapshots for dev tables gets us about $4k. Partitioning the events table gets the rest.
Svetlana: Do both this quarter.
S: Data Eng prioritized Tamarack ahead of the August SOC 2 audit, pushing the Airflow upgrade to Q4 with Amara patching the scheduler bug, and will cut warehouse costs from $41k to under $35k monthly by dropping dev snapshots and partitioning events.
----
D:
Expense policy: meals
When traveling on business in the US, you can spend up to $75 a day on meals. International limits are set per city and listed in Navan. Itemized receipts are required for any meal over $25. Client meals are reimbursed at actual cost if you list the attendees and their company. Alcohol is only reimbursable at client dinners, up to two drinks per person. Meals during team offsites are paid centrally, so don't expense them.
S: The meals policy allows $75 a day in the US and per-city limits abroad, needs itemized receipts over $25, reimburses client meals at cost with attendees listed, and allows alcohol only at client dinners.
----
Q: when can I expense alcohol?
D:
Expense policy: meals
When traveling on business in the US, you can spend up to $75 a day on meals. International limits are set per city and listed in Navan. Itemized receipts are required for any meal over $25. Client meals are reimbursed at actual cost if you list the attendees and their company. Alcohol is only reimbursable at client dinners, up to two drinks per person. Meals during team offsites are paid centrally, so don't expense them.
S: Under the meals policy, alcohol can only be expensed at client dinners, and then only up to two drinks per person.
""")

SUM_TRAIN.append(r"""
D:
Pricing committee, May 16
Attendees: Claire Dubois, Anil Gupta, Kwame Mensah, Elena Rossi
Claire presented the Meridian proposal: Starter $12, Team $29, Enterprise custom.
Kwame: Starter cannibalization risk is real. Our model shows 8% of current $15 customers would downgrade.
Elena: Then cap Starter at 10 users. Most of our $15 customers have more than 10.
Anil: Agreed. And no SSO on Starter.
Decision: Starter approved at $12 with a 10-user cap and no SSO. Team and Enterprise approved as proposed. Existing customers keep current prices until their next renewal.
Claire to prepare launch messaging for September 1.
S: The pricing committee approved the Meridian tiers on May 16, limiting the $12 Starter plan to 10 users without SSO to avoid cannibalization; existing customers keep their prices until renewal, and Claire prepares a September 1 launch.
----
D:
From: Ingrid Halvorsen (CFO)
To: All staff
Subject: Changes to the expense policy for 2024

Hi everyone, three changes take effect on February 1:
1. Hotel caps go up 10% in all cities to reflect rising prices.
2. Alcohol is no longer reimbursable, except at client dinners.
3. Expenses must be submitted within 60 days; anything older will be rejected.
These changes keep us within the travel budget while being fair to people on the road. The updated policy and an FAQ are on the Finance wiki. Questions to finance-help@corvel.io.
S: CFO Ingrid Halvorsen announced that from February 1 hotel caps rise 10%, alcohol is only reimbursed at client dinners, and expenses older than 60 days will be rejected; details and an FAQ are on the Finance wiki.
----
D:
Halyard launch readiness review
Mira: We're moving launch from June 18 to July 9.
Nadia: To be clear, this is because of the security review. The sharing links can be guessed: they use sequential IDs.
Ethan: Fix is to switch to random 128-bit tokens and migrate existing links. Two weeks of work plus a week of testing.
Mira: Marketing is OK with July 9; the webinar moves too. Press hasn't been briefed yet, so nothing to walk back.
Nadia: I want a re-test by the external firm before launch.
Mira: Booked for July 1.
S: Halyard's launch moved from June 18 to July 9 because the security review found guessable sequential sharing links; Ethan will switch to random tokens and migrate old links, and an external re-test is booked for July 1.
----
Q: why was the launch delayed?
D:
Halyard launch readiness review
Mira: We're moving launch from June 18 to July 9.
Nadia: To be clear, this is because of the security review. The sharing links can be guessed: they use sequential IDs.
Ethan: Fix is to switch to random 128-bit tokens and migrate existing links. Two weeks of work plus a week of testing.
Mira: Marketing is OK with July 9; the webinar moves too. Press hasn't been briefed yet, so nothing to walk back.
Nadia: I want a re-test by the external firm before launch.
Mira: Booked for July 1.
S: The Halyard launch was delayed because the security review found that sharing links used guessable sequential IDs, which need to be replaced with random tokens and retested.
----
D:
Support ticket #50177, Castellan Insurance
Reported by: Monique Barré (workspace admin)
"Since yesterday, some users see documents from the Claims folder that they shouldn't have access to. This is urgent: claims contain personal data."
Agent notes (Tariq, Tier 2): Reproduced. Users in the nested group "Claims-Readonly" inherit access after the group was renamed in their IdP. Escalated to Engineering as SEC-221, severity 1. Engineering disabled group inheritance for the workspace as a stopgap at 16:40. Customer confirmed the documents are no longer visible.
Next: root cause and fix from the Identity team; Security to assess whether this is a reportable incident.
S: Castellan Insurance users could see restricted Claims documents after a nested IdP group was renamed; Tariq escalated it as SEC-221, Engineering disabled group inheritance as a stopgap, and Security is assessing whether it's reportable.
----
D:
Release notes, mobile 6.3
- Offline mode (beta): pin up to 200 documents to read without a connection. Turn it on in Settings > Labs.
- Search now shows recent people you've messaged at the top of results.
- Tablet: a two-column layout on iPad and Android tablets.
- Fixed a crash on login on iOS 17 (MOB-2231).
- Fixed delayed push notifications for calendar changes (MOB-2240).
Minimum supported versions are now iOS 16 and Android 10.
S: Mobile 6.3 adds offline mode in beta for up to 200 pinned documents, recent people at the top of search and a tablet layout, fixes the iOS 17 login crash and delayed pushes, and requires iOS 16 or Android 10.
----
D:
#payments-platform
Zainab: found the EUR reconciliation issue. New system rounds VAT per line, old system rounds on the invoice total
Marcus: which is right?
Zainab: legally, either is fine in most EU countries, but Germany and Italy expect per-invoice. and customers will notice cent differences
Marcus: then match the old behaviour
Zainab: ok, rounding on total. PR up tomorrow, then I'll rerun the parallel billing for the 140 accounts
Marcus: great. if that's clean by June 5 we keep the June 14 cutover
S: Zainab traced the Atlas EUR reconciliation mismatch to per-line versus per-invoice VAT rounding; Marcus decided to keep the old per-invoice rounding, and if the rerun on the 140 accounts is clean by June 5, cutover stays June 14.
----
D:
PTO policy (US)
Full-time employees in the US get 20 days of paid time off per year, accrued monthly, plus 11 company holidays and the winter shutdown. You can carry over up to 5 unused days into the next year; the rest are forfeited on March 31. PTO requests go through Workday and should be submitted at least two weeks ahead for absences longer than 3 days. Sick days are separate from PTO: take what you need, and tell your manager. Unused PTO is paid out when you leave, where required by state law.
S: US employees get 20 PTO days a year accrued monthly plus 11 holidays and a winter shutdown, can carry over 5 days until March 31, request longer absences two weeks ahead in Workday, and have separate sick days.
----
Q: can I carry over unused days?
D:
PTO policy (US)
Full-time employees in the US get 20 days of paid time off per year, accrued monthly, plus 11 company holidays and the winter shutdown. You can carry over up to 5 unused days into the next year; the rest are forfeited on March 31. PTO requests go through Workday and should be submitted at least two weeks ahead for absences longer than 3 days. Sick days are separate from PTO: take what you need, and tell your manager. Unused PTO is paid out when you leave, where required by state law.
S: Yes, up to 5 unused PTO days carry over into the next year; any other unused days are forfeited on March 31.
----
D:
Weekly SRE report, week 21
Availability: API 99.98%, web 99.99%, mobile backend 99.95%.
Incidents: one SEV3 on May 22, notifications delayed by 25 minutes after a Redis failover. No customer reports.
Pages: 34 pages this week, down from 51. Most of the drop comes from removing the noisy disk space alert on build agents.
Capacity: the us-east Kafka cluster is at 71% disk; the Streaming team plans to add brokers on June 3.
Toil: Aisha automated the weekly certificate inventory check.
S: In week 21, availability stayed at or above 99.95%, a Redis failover delayed notifications 25 minutes, pages fell from 51 to 34 after removing a noisy alert, and us-east Kafka at 71% disk gets brokers on June 3.
----
D:
Subject: Vantor Energy security questionnaire
From: Nadia Benali

Hi Dilnoza, thanks for sending the questionnaire. We've completed 212 of the 240 questions using our standard answers and SOC 2 report. For the remaining 28, mostly about your specific OT network segmentation requirements, we'd like a 30-minute call with your security architect. Could we do Monday or Tuesday next week? We're on track to return everything by your June 7 deadline.
Best, Nadia
S: Nadia Benali told Vantor Energy's Dilnoza Karimova that 212 of 240 security questionnaire answers are done and asked for a call early next week about the 28 OT segmentation questions, keeping the June 7 deadline.
----
D:
Design doc excerpt: Event bus consolidation (Hugo Lambert)
Today we run three messaging systems: Kafka for analytics, RabbitMQ for notifications, and SQS for billing jobs. Each has its own client library, alerting and on-call knowledge. This doc proposes moving notifications and billing onto Kafka by end of Q4.
Benefits: one set of tooling, replay for debugging, and lower cost (RabbitMQ hosting is $9k a month).
Risks: billing jobs need exactly-once processing, which we'd implement with idempotency keys. Notifications need low latency; tests show Kafka p99 of 40 ms, within our 100 ms budget.
The architecture review approved this on the condition that a schema registry exists before migration.
S: Hugo Lambert's doc proposes consolidating RabbitMQ notifications and SQS billing jobs onto Kafka by end of Q4 for shared tooling, replay and $9k monthly savings; it was approved on condition a schema registry is built first.
----
D:
Customer Success QBR prep, Orion account
Hannah: Usage is up 18% year over year, mainly from their legal team adopting search in January.
Felipe: Any risks?
Hannah: Two. Their marketing team wants a Canva connector we don't have, and their CIO, Philippe Garnier, is consolidating vendors next year.
Felipe: For Canva, check with Noor whether Driftwood covers it. For the CIO, let's get Elena on a call with him before the QBR.
Hannah: QBR is June 4. I'll draft the deck by May 30.
S: Orion usage is up 18% thanks to their legal team, but a missing Canva connector and CIO Philippe Garnier's vendor consolidation are risks; Hannah will check Driftwood with Noor, set up an Elena call, and draft the June 4 QBR deck by May 30.
----
D:
Announcement: new Head of Design
Please welcome Yara Mansour, who joins Corvel as Head of Design on May 6. Yara spent the last seven years at Quillon Media, where she led a team of 30 designers and rebuilt their design system. At Corvel she'll lead Product Design, Design Systems and UX Research, reporting to Gabriel Moreau. Chloé Marchand, who has led Design Systems, will report to Yara. Yara is based in the London office and will spend her first month meeting customers and every product team.
S: Yara Mansour, previously leading 30 designers at Quillon Media, joins as Head of Design on May 6, reporting to Gabriel Moreau and overseeing Product Design, Design Systems and UX Research from London.
----
D:
Support ticket #49950, Redfern Schools
From: Imogen Clarke (IT coordinator)
"Teachers in 6 of our schools can't find anything in Google Drive through Corvel search since the start of term. Other schools are fine."
Agent notes (Renata): The 6 schools were added as a new Google Workspace organizational unit over the break. Our Drive connector only indexes the OUs selected at setup. Walked Imogen through adding the new OU in the connector settings. Indexing completed overnight.
Customer reply: "All working now. Could the connector pick up new OUs automatically?" Logged as feature request FR-1180.
S: Six Redfern Schools sites weren't searchable because they were in a new Google Workspace OU the Drive connector didn't index; Renata had Imogen Clarke add it, and her request for automatic OU pickup became FR-1180.
----
D:
All-hands recap, April
Martin opened with Q1 results: revenue up 31% year over year and net revenue retention at 118%.
Carla Jensen announced that Data Eng will merge into the Platform org in June under Sigrid Aalto, so data pipelines and infrastructure share one roadmap.
Lucía demoed semantic search, which goes into beta in July.
Q&A: someone asked about remote work. Martin said the current policy, two office days a week for people within 50 km of an office, stays through at least the end of the year.
S: At the April all-hands, Martin reported 31% revenue growth and 118% NRR, Carla announced Data Eng merging into Platform under Sigrid Aalto in June, Lucía demoed semantic search for a July beta, and the two-day office policy stays this year.
----
Q: what was said about remote work?
D:
All-hands recap, April
Martin opened with Q1 results: revenue up 31% year over year and net revenue retention at 118%.
Carla Jensen announced that Data Eng will merge into the Platform org in June under Sigrid Aalto, so data pipelines and infrastructure share one roadmap.
Lucía demoed semantic search, which goes into beta in July.
Q&A: someone asked about remote work. Martin said the current policy, two office days a week for people within 50 km of an office, stays through at least the end of the year.
S: Martin said the current remote work policy, two office days a week for people living within 50 km of an office, stays in place at least until the end of the year.
----
D:
#design-systems
Chloé: heads up, date picker is slipping to end of August
Yara: what's the blocker?
Chloé: screen reader support for range selection. VoiceOver announces the wrong dates on Safari
Yara: can we ship single-date first?
Chloé: yes, single date is done and passes the audit. range would follow in September
Yara: ship single-date in July then. tell the Beacon team so they can plan around it
S: Chloé reported the accessible date picker slipping to late August because VoiceOver misreads range selection on Safari; Yara decided to ship the finished single-date picker in July, with ranges in September, and to warn the Beacon team.
----
D:
Incident summary: INC-834, search API timeouts
On May 18 from 09:12 to 09:41 UTC, about 12% of search API requests timed out. A deploy of rank-svc changed the default timeout for calls to the feature store from 200 ms to 2 s, which held threads for too long under load and exhausted the pool. The on-call engineer, Wei Zhang, rolled back at 09:38. Customers with API integrations saw errors; the web app retried and users mostly saw slower results. Actions: make timeouts explicit in config and add a pool saturation alert. Owner: Omar Siddiqui.
S: On May 18, a rank-svc deploy raised the feature store timeout from 200 ms to 2 s, exhausting the thread pool so 12% of search API requests timed out for 29 minutes until Wei Zhang rolled back; Omar Siddiqui owns follow-ups.
----
D:
Subject: Sales EMEA offsite
From: Elena Rossi

Team, the EMEA offsite is confirmed for October 8 to 10 in Sintra, Portugal. Budget is €48,000 for 30 people, covering the hotel, meals and one team activity. Flights are booked individually through Navan; please stay within economy. Agenda: day one is pipeline review, day two is the partner strategy with guest speakers from two of our resellers, and day three is free until the afternoon flights. Rosalind Okeke is organizing, so send dietary needs to her by September 1.
S: Elena Rossi confirmed the Sales EMEA offsite in Sintra for October 8–10 with a €48,000 budget for 30 people; Rosalind Okeke is organizing and needs dietary requirements by September 1.
----
D:
Vendor evaluation: translation services
We compared three vendors for translating the product UI and help center into 8 languages.
Lumenfield: $0.11 per word, 48-hour turnaround, strong glossary tooling, in-context review.
Polyglot Works: $0.09 per word, 5-day turnaround, no integration with our string repo.
TransWorld: $0.14 per word, 24-hour turnaround, but quality in Japanese was rated lowest by our reviewers.
Recommendation (Oskar Lindgren): Lumenfield. Its integration saves roughly one week of engineering per release, which outweighs the higher price compared with Polyglot Works.
S: Oskar Lindgren recommends Lumenfield for translating the UI and help center into 8 languages at $0.11 per word, because its repo integration saves about a week of engineering per release, outweighing Polyglot Works' lower price.
----
D:
Chat: #people-ops
Sinéad: reminder that mid-year reviews open June 3
Jamal: are self-reviews still optional for people who joined after April 1?
Sinéad: yes, optional for them. managers still write a short check-in
Jamal: and calibration?
Sinéad: calibration is week of July 8. new joiners aren't calibrated this cycle
Jamal: got it. is the rubric the same as last year?
Sinéad: same rubric, but there's a new section on collaboration across teams. guidance is on the People wiki
S: Sinéad confirmed mid-year reviews open June 3 with calibration the week of July 8; for people who joined after April 1, self-reviews are optional, managers write a short check-in, and they aren't calibrated this cycle.
""")

SUM_TRAIN.append(r"""
D:
Cobalt sprint 14 review
Ahmed: We committed 38 points and finished 31. Search filters shipped to all customers on Wednesday.
Ahmed: Export slipped. We're waiting on Data Eng to add the owner_id column to the documents table.
Nikolai: That's on our side, sorry. It's scheduled for Monday.
Ahmed: Then export moves into sprint 15. We also had two unplanned bugs from the filters launch, both fixed.
Priya: What's the feedback on filters so far?
Ahmed: 22 customers used them in the first two days. The top request is filtering by owner, which export also needs.
S: Cobalt sprint 14 finished 31 of 38 points and shipped search filters, but export slipped to sprint 15 waiting for Data Eng's owner_id column, due Monday; 22 customers used filters in two days and most want filter-by-owner.
----
D:
Subject: Heads-up: GitHub Actions minutes
From: Pablo Ruiz

We used 182,000 Actions minutes in April against 150,000 included in our plan, which cost an extra $2,600. The main cause is the web-app test suite, which runs the full end-to-end tests on every push, even for docs changes. Starting Monday, end-to-end tests only run on pull requests targeting main and on changes under src/. We're also turning on the shared build cache, which cut build time by 40% in our trial. If your team has a workflow that should be exempt, reply to this email.
S: Pablo Ruiz reported 182,000 GitHub Actions minutes in April, 32,000 over plan at $2,600 extra, mostly from web-app end-to-end tests; from Monday those run only on PRs to main touching src/, and a shared build cache is enabled.
----
D:
User research readout: admin analytics (Lucía Ferrer, Marta Nowak)
We interviewed 14 workspace admins from companies of 200 to 12,000 employees.
1. Admins want to prove value to their leadership. Every admin asked for a monthly report they can forward.
2. Search success matters more than volume. They care about "searches with no clicks" much more than total searches.
3. Department breakdowns are essential for large customers but need to respect privacy: no individual-level data.
Next step: a prototype with a monthly PDF report, no-click rate and department views, tested with 5 of the same admins in July.
S: Interviews with 14 workspace admins showed they want a forwardable monthly value report, care about no-click search rates over volume, and need privacy-safe department breakdowns; a prototype goes back to 5 admins in July.
----
D:
#incident-842
Rahul (IC): declaring SEV2. webhook deliveries delayed, queue depth 1.2M and growing
Darius: consumer group for webhooks stopped committing offsets at 13:02. looks like a poison message, consumer crashes on one event
Rahul: can we skip it?
Darius: yes, moving offset past it now
Darius: consumers catching up, queue draining at ~20k/s
Rahul: ETA for full drain?
Darius: about an hour
Rahul: updating status page. Renata, can support prep a note for integration customers?
Renata: on it
Rahul: drained at 15:12. resolving. postmortem owner is Darius
S: A poison message crashed the webhooks consumer at 13:02, delaying deliveries with a 1.2M backlog; Darius skipped it, the queue drained by 15:12, Renata prepared a customer note, and Darius owns the SEV2 postmortem.
----
D:
Remote work policy
Employees who live within 50 km of a Corvel office are expected in the office two days a week, chosen with their team. Employees further away are fully remote and can use a co-working space, reimbursed up to $300 a month. Everyone can work from another country for up to 20 working days a year, if they tell People Ops at least two weeks before and the country isn't on the restricted list. Longer stays need approval from Legal because of tax and immigration rules.
S: Employees within 50 km of an office come in two days a week, others are fully remote with up to $300 a month for co-working, and anyone may work abroad up to 20 days a year with two weeks' notice.
----
Q: how long can I work from another country?
D:
Remote work policy
Employees who live within 50 km of a Corvel office are expected in the office two days a week, chosen with their team. Employees further away are fully remote and can use a co-working space, reimbursed up to $300 a month. Everyone can work from another country for up to 20 working days a year, if they tell People Ops at least two weeks before and the country isn't on the restricted list. Longer stays need approval from Legal because of tax and immigration rules.
S: You can work from another country for up to 20 working days a year if you notify People Ops two weeks ahead and the country isn't restricted; longer stays need Legal's approval.
----
D:
Hackathon results, spring edition
42 people formed 11 teams over two days. Winners:
1st: "Ask the wiki" by Wei Zhang, Lina Haddou and Pablo Ruiz, a chat interface that answers questions from wiki pages with citations.
2nd: "Meeting prep" by Keisha Brown and Jonas Weber, which builds a one-page brief from the calendar invite, related docs and email.
People's choice: "Desk finder" by the Dublin Facilities team.
Gabriel has asked the "Ask the wiki" team to write a proposal for turning it into a product feature by the end of June.
S: At the spring hackathon, 42 people built 11 projects; Wei Zhang, Lina Haddou and Pablo Ruiz won with "Ask the wiki", which Gabriel wants proposed as a product feature by end of June, with "Meeting prep" second.
----
D:
From: Rupert Hale (Marlow & Finch)
To: Samuel Achebe
Subject: SSO migration timeline

Samuel, our identity team is moving from ADFS to Entra ID in Q3. We need to know when Corvel can support Entra ID with SCIM, and whether we can run both during a transition period of about a month. We can't move our 2,400 users in one weekend. Can you confirm by the end of next week? This is blocking our project plan.
Thanks, Rupert
S: Rupert Hale asked Samuel Achebe to confirm by the end of next week when Corvel supports Entra ID with SCIM and whether ADFS and Entra ID can run in parallel for a month while Marlow & Finch moves 2,400 users in Q3.
----
D:
Benefits open enrollment (US)
Open enrollment runs from November 4 to November 18. This is the only time you can change your medical, dental and vision plans without a qualifying life event. New this year: a second medical plan with a lower premium and a health savings account, and the company HSA contribution is $1,000 for individuals and $2,000 for families. Vision coverage now includes a $200 frame allowance. If you don't make a choice, your current plans roll over, except the flexible spending account, which you must re-elect.
S: US open enrollment runs November 4–18, adding a lower-premium HSA medical plan with a $1,000 or $2,000 company contribution and a $200 vision frame allowance; plans roll over automatically except the FSA, which must be re-elected.
----
D:
1:1 notes, Lena and Tobias
Tobias: the gRPC migration for rank-svc is 60% done. The remaining callers are the autocomplete service and two batch jobs.
Lena: any risk to the June date?
Tobias: autocomplete is owned by Wei's team and they're busy with the semantic search beta. Could slip two weeks.
Lena: I'll ask Priya whether we can borrow someone. What about your promotion packet?
Tobias: draft is done, I'd like feedback before the June 14 deadline.
Lena: send it Friday and I'll review over the weekend.
S: Tobias told Lena the rank-svc gRPC migration is 60% done but may slip two weeks because Wei's autocomplete team is busy, so Lena will ask Priya for help; Tobias sends his promotion packet Friday for review before June 14.
----
D:
Service catalog entry: notifications-svc
Owner: Notifications team (manager: Hiroshi Tanaka)
Purpose: sends email, push and in-app notifications, including daily digests and mention alerts.
Dependencies: RabbitMQ (moving to Kafka in Q4), Postgres, the templates service, and the email provider.
SLO: 99.9% of notifications delivered within 60 seconds; digest jobs complete by 07:00 local time.
On-call: notifications-primary in PagerDuty.
Known issues: POST /v2/digest has elevated errors when the templates service is slow.
S: notifications-svc, owned by Hiroshi Tanaka's Notifications team, sends email, push and in-app notifications with a 99.9% within-60-seconds SLO, depends on RabbitMQ, Postgres and the templates service, and its digest endpoint errors when templates are slow.
----
D:
Subject: Q2 hiring update
From: Talent Acquisition

We have 47 open requisitions. In Q2 so far we've made 31 offers with an 84% acceptance rate. Time to fill averages 52 days, up from 45 in Q1, mostly because of senior engineering roles. Three changes for Q3: engineering interviews move to a four-round loop instead of five, hiring managers must give feedback within 24 hours, and we're adding two contract recruiters for Engineering until the end of September.
S: Talent Acquisition reported 47 open roles, 31 offers at 84% acceptance and time to fill rising to 52 days; for Q3, engineering loops drop to four rounds, feedback is due within 24 hours, and two contract recruiters join.
----
D:
Incident update, 11:20 UTC
We're investigating slow search results for customers in the EU region. Average latency is 3 to 4 seconds instead of under 1 second. The cause appears to be a failed node in the eu-central search cluster; replicas are rebuilding, which puts extra load on the remaining nodes. We expect the rebuild to finish around 12:30 UTC. No data has been lost. Customers in other regions are not affected. Next update at 12:00 UTC or sooner.
S: At 11:20 UTC, EU customers saw search latency of 3–4 seconds because a failed eu-central cluster node triggered replica rebuilds, expected to finish around 12:30 UTC; no data was lost and other regions were unaffected.
----
D:
Design review: saved searches
Lucía: Saved searches let users rerun a query and get alerts when new results match.
Hugo: Alerts mean re-running every saved search on every index update. At 2 million saved searches that's expensive.
Lucía: What if alerts run on a schedule, hourly or daily, instead of in real time?
Hugo: That works. Hourly batches are cheap.
Omar: Permissions also matter. An alert must re-check access when it runs, not when the search was saved.
Decision: hourly and daily alerts only, permission check at alert time, limit of 50 saved searches per user.
S: The saved searches review settled on hourly or daily alerts instead of real-time ones to control cost, permission checks when each alert runs, and a limit of 50 saved searches per user.
----
Q: how will permissions be handled?
D:
Design review: saved searches
Lucía: Saved searches let users rerun a query and get alerts when new results match.
Hugo: Alerts mean re-running every saved search on every index update. At 2 million saved searches that's expensive.
Lucía: What if alerts run on a schedule, hourly or daily, instead of in real time?
Hugo: That works. Hourly batches are cheap.
Omar: Permissions also matter. An alert must re-check access when it runs, not when the search was saved.
Decision: hourly and daily alerts only, permission check at alert time, limit of 50 saved searches per user.
S: Following Omar's point, each saved search alert re-checks the user's access when it runs rather than relying on permissions at the time the search was saved.
----
D:
Announcement: Lisbon office holidays
The Lisbon office will be closed on June 13 for Santo António, a local holiday. The Madrid, London and Dublin offices are open as usual. Support coverage for Portuguese-speaking customers moves to the São Paulo partner team for the day. If you have customer meetings booked in Lisbon that day, please move them or hold them remotely. The office reopens on June 14 at 8:00.
S: The Lisbon office closes June 13 for Santo António and reopens June 14; other European offices stay open, Portuguese-language support moves to the São Paulo partner team, and Lisbon meetings should be moved or held remotely.
----
D:
#finops
Kwame: AWS came in at $812k for March, 6% over budget
Sigrid: most of it is the new eu-central search cluster. we doubled it for the Tessaly onboarding
Kwame: is that permanent?
Sigrid: half of it. we can scale back the other half once their initial indexing finishes mid-April
Kwame: and reserved instances?
Sigrid: we'll buy 1-year reservations for the permanent half. saves ~30% on those nodes
Kwame: ok, please send me the numbers by Friday so I can update the forecast
S: March AWS spend of $812k, 6% over budget, was mostly the doubled eu-central search cluster for Tessaly onboarding; Sigrid will shrink half after mid-April indexing, reserve the rest for about 30% savings, and send Kwame numbers by Friday.
----
D:
Code review policy
Every change to a production service needs at least one approval from someone other than the author. Changes to services in the payments, auth and data export paths need two approvals, one of which must come from the owners group listed in CODEOWNERS. Emergency fixes during an incident can be merged with one approval and must get a second review within two business days. Generated files and dependency bumps from the bot may be approved by any engineer. Reviewers should respond within one business day.
S: Production changes need one approval from someone other than the author, payments, auth and data export changes need two including a CODEOWNERS owner, incident fixes get a second review within two days, and reviewers respond within one business day.
----
D:
Subject: Tamarack timeline
From: Svetlana Ivanova
To: Nadia Benali

Nadia, quick update for the SOC 2 prep. Tamarack, our new data retention service, will enforce deletion policies for documents and logs from July 15. Before that we run it in dry-run mode for two weeks to compare what it would delete against the old cron jobs. Compliance Engineering has reviewed the policy config. The evidence you need for the auditors, deletion logs and config history, will be in the audit bucket from July 1.
Svetlana
S: Svetlana Ivanova told Nadia Benali that Tamarack will enforce retention deletions from July 15 after a two-week dry run against the old cron jobs, and SOC 2 evidence will be in the audit bucket from July 1.
----
D:
Churn analysis, Q1 (Analytics)
We lost 41 customers in Q1, representing $620k ARR, against $2.9M in new and expansion ARR. 60% of churned ARR came from companies under 200 employees. The most common reasons in exit surveys were budget cuts (38%), low adoption (27%) and moving to a competitor's bundled suite (19%). Accounts with fewer than three connected apps churned at four times the rate of others. Ravi recommends that onboarding focus on connecting three apps in the first 30 days.
S: Q1 churn was 41 customers and $620k ARR, 60% from companies under 200 employees, driven by budget cuts, low adoption and bundled competitors; since accounts with fewer than three apps churned four times more, Ravi recommends connecting three apps in 30 days.
----
D:
#mobile
Keisha: crash-free rate dropped to 98.6% on Android after 6.3
Femi: it's the offline mode beta. crashes when a pinned PDF is larger than 100MB
Keisha: how many users?
Femi: ~900 crashes/day, all on devices with offline mode on
Keisha: let's disable offline mode remotely for now and fix in 6.3.1
Femi: flag flipped. I'll cap pinned file size at 50MB in the fix
S: Android crash-free rate fell to 98.6% after 6.3 because offline mode crashed on pinned PDFs over 100 MB; Keisha disabled offline mode remotely, and Femi will cap pinned files at 50 MB in 6.3.1.
""")

SUM_TRAIN.append(r"""
Q: who is responsible for the follow-up actions?
D:
Postmortem: INC-790, search index lag (April 2)
Impact: For 3 hours, newly created documents took up to 45 minutes to appear in search, instead of under 1 minute. Existing documents were searchable.
Root cause: A bulk import by Sunfield Credit Union added 1.8 million documents at once. The indexing queue has no per-tenant fairness, so their import starved everyone else.
Resolution: Omar Siddiqui paused the bulk import and let the normal queue drain, then resumed it at a lower rate overnight.
Actions: per-tenant indexing quotas (Julia Meier, Q3); an alert when indexing lag exceeds 5 minutes (Aisha Karimi, this sprint); a bulk import API that customers use instead of the normal sync (Lucía Ferrer to scope).
S: Julia Meier owns per-tenant indexing quotas for Q3, Aisha Karimi adds an indexing-lag alert this sprint, and Lucía Ferrer scopes a separate bulk import API.
----
D:
Subject: Welcome to Corvel, first week schedule
From: People Ops

Hi Maya, we're excited to have you start on Monday! Your first week:
Monday: 9:00 laptop pickup at IT on the 2nd floor, 10:00 company orientation, lunch with your buddy, Femi Adeyemi.
Tuesday: security training (required, 1 hour) and product overview with Lucía Ferrer.
Wednesday to Friday: team onboarding with your manager, Keisha Brown.
Please bring your ID and bank details for Workday on Monday. Parking is free in the garage under the building; tell reception your plate number.
S: People Ops sent Maya her first-week schedule: Monday laptop pickup, orientation and lunch with buddy Femi Adeyemi, Tuesday security training and a product overview with Lucía Ferrer, then team onboarding with manager Keisha Brown; she needs ID and bank details.
----
Q: what changed for API customers?
D:
Release notes, 4.13 (May 20)
New: Saved searches with hourly or daily email alerts, up to 50 per user.
New: Admins can see the no-click search rate in the analytics dashboard.
API: the /v1/metrics endpoint is deprecated and will be removed on August 31; use /v2/metrics. Search API responses now include a "highlight" field for each result.
Fixed: Sharing dialog now shows guest users correctly.
Fixed: Slow loading of large spreadsheets in preview.
S: For API customers, release 4.13 deprecates /v1/metrics, which will be removed August 31 in favor of /v2/metrics, and adds a "highlight" field to each search API result.
----
D:
Office move: Austin
Our Austin team is moving from the Congress Avenue office to the new space at 500 East 4th Street over the weekend of July 27. Packing crates arrive on July 22; please pack your desk by 5pm Friday July 26 and label everything with the stickers provided. IT will move monitors and docks. The new office has 120 desks, 10 meeting rooms and a rooftop terrace. Parking moves to the garage on Red River Street, and badges will be reprogrammed automatically. Contact: Lauren Pike, Workplace.
S: The Austin office moves to 500 East 4th Street over the weekend of July 27; staff pack desks by 5pm July 26, IT moves monitors, badges update automatically, and parking moves to Red River Street; Lauren Pike is the contact.
----
D:
#sales-emea
Rosalind: Tessaly Bank wants 300 more seats but asked for the same per-seat price as their original deal
Elena: what was the original?
Rosalind: $31/seat on a 3-year term. list is now $35
Elena: fine if they extend the term by a year. otherwise $33
Rosalind: they'll likely take the extension, their procurement likes longer terms
Elena: good, send the order form with both options
S: Tessaly Bank asked to add 300 seats at their original $31 per seat; Elena agreed if they extend their three-year term by a year, otherwise $33 against a $35 list price, and Rosalind will send both options.
----
D:
Security awareness training
All employees must complete the annual security awareness course by September 30. It takes about 45 minutes and covers phishing, password managers, handling customer data and reporting incidents. New employees complete it in their first week. Completion is tracked for the SOC 2 audit, so managers will get reminders for people who haven't finished. Anyone who misses the deadline loses access to production systems and customer data until they complete it. The course is in the learning portal under "Required".
S: All employees must complete the 45-minute annual security awareness course by September 30 (new hires in week one); it's tracked for SOC 2, and missing the deadline removes access to production and customer data until done.
----
Q: what happens if someone misses the deadline?
D:
Security awareness training
All employees must complete the annual security awareness course by September 30. It takes about 45 minutes and covers phishing, password managers, handling customer data and reporting incidents. New employees complete it in their first week. Completion is tracked for the SOC 2 audit, so managers will get reminders for people who haven't finished. Anyone who misses the deadline loses access to production systems and customer data until they complete it. The course is in the learning portal under "Required".
S: Anyone who hasn't finished the security awareness course by September 30 loses access to production systems and customer data until they complete it.
----
D:
Juniper pilot review, notes
Attendees: Noor Hassan, Lucía Ferrer, Hannah Stein, Tomás Ibarra
Noor: four pilots are live. Brightwater and Okafor use it daily. Marlow & Finch hasn't turned it on for users yet. Vantor is stuck on security review.
Tomás: Vantor's review needs our pen test summary. Security says they can share it under NDA.
Hannah: Marlow & Finch is waiting for their SSO migration; they don't want two rollouts.
Lucía: GA in September still works if we get two more customers using it daily by July.
Action: Tomás sends the pen test summary this week; Hannah checks if Marlow & Finch can start a small group before SSO.
S: Brightwater and Okafor use the Juniper pilot daily, while Marlow & Finch awaits its SSO migration and Vantor a security review; September GA needs two more daily users by July, so Tomás sends the pen test summary.
----
D:
From: Corinne Blake
To: Exec team
Subject: Board meeting, July 18

Hi all, the Q2 board meeting is on July 18 from 9:00 to 13:00 in the New York office, with two board members joining remotely. Agenda: Q2 results (Ingrid), product roadmap (Gabriel and Lucía), go-to-market plan for the self-hosted edition (Elena), and a closed session. Slides are due to me by July 11 so the board gets them a week ahead. Please keep each section to 15 slides.
S: Corinne Blake scheduled the Q2 board meeting for July 18 in New York, with Q2 results, roadmap, self-hosted go-to-market and a closed session; each exec's slides, up to 15, are due to her by July 11.
----
D:
Ticket #51002, Sunfield Credit Union
Reported by: Victor Almeida
"Search results show outdated versions of our policy PDFs. We update the files in SharePoint, but Corvel keeps showing the old text for days."
Agent notes (Tariq): SharePoint connector only re-indexes file content when the file name or size changes. Their updates keep the same name and often similar size, so only metadata refreshed. Engineering confirms this is a known limitation (CONN-377), fixed in connector 2.8, which uses the SharePoint version ID. Upgraded the customer's connector to 2.8 and triggered a full re-index.
S: Sunfield Credit Union saw stale policy PDFs because the SharePoint connector only re-indexed content when file name or size changed (CONN-377); Tariq upgraded them to connector 2.8, which uses version IDs, and ran a full re-index.
----
D:
Quarterly planning, Mobile team
Keisha: Top priorities for Q3 are offline mode GA, tablet layouts, and getting crash-free above 99.7%.
Femi: Offline mode needs the file size cap and a better sync engine. Six weeks.
Keisha: Tablet layouts are mostly done, just QA. And crash-free?
Femi: Most crashes are in the old PDF viewer. Replacing it with the system viewer fixes about half.
Keisha: Then PDF viewer replacement is part of the crash goal. Push notifications rework moves to Q4.
S: Mobile's Q3 priorities are offline mode GA with a file size cap and new sync engine, finishing tablet layouts, and crash-free above 99.7% by replacing the old PDF viewer; the push notifications rework moves to Q4.
----
D:
Subject: Your expense report was returned
From: Concur

Your expense report "Berlin trip, April" (total €1,284.50) was returned by your approver, Gabriel Moreau, with this comment: "Hotel is over the Berlin cap of €190 per night by €35 for 3 nights. Please add a justification or adjust. Also the taxi receipt on April 12 is missing." Please fix the items and resubmit within 60 days of the expense date, or they can't be reimbursed.
S: Gabriel Moreau returned the €1,284.50 "Berlin trip, April" expense report because the hotel exceeded the €190 Berlin cap by €35 a night for 3 nights and the April 12 taxi receipt was missing; it must be resubmitted within 60 days.
----
Q: what is the team worried about?
D:
Architecture review: semantic search rollout
Lucía: Beta in July for 20 customers, GA in October.
Hugo: The embedding service costs about $0.40 per thousand documents indexed. For our largest customers, the first index costs more than their monthly fee.
Omar: We could embed only documents opened in the last year. That covers 85% of clicks.
Sigrid: Also GPU capacity. We have 8 GPUs in eu-central and need at least 20 for GA.
Lucía: So beta is fine, but GA depends on cost controls and capacity.
Decision: beta proceeds; Hugo and Omar write a cost plan; Sigrid requests GPU quota by June 15.
S: The team worries that embedding costs, about $0.40 per thousand documents, exceed large customers' monthly fees and that eu-central has 8 GPUs against at least 20 needed, so October GA depends on cost controls and capacity.
----
D:
Notes from the customer advisory board, May 14
Eight customers attended. Main themes:
- Offline mobile: Hollis Manufacturing and Redfern Schools both need it for staff without reliable connectivity.
- Admin reporting: everyone wants monthly usage reports they can send to leadership.
- AI answers: strong interest, but Castellan Insurance and Tessaly Bank need to know where data is processed before turning them on.
- Pricing: two customers said the jump from Team to Enterprise is too big.
Lucía will share a summary with the group and invite them to a beta of admin analytics.
S: At the May 14 customer advisory board, eight customers asked for offline mobile, monthly admin usage reports, clarity on AI answer data processing from regulated firms, and a smaller Team-to-Enterprise price gap; Lucía will invite them to the admin analytics beta.
----
D:
#facilities-dublin
Ciara: Fjord and Liffey rooms are out of action Thursday and Friday, new AV being installed
Hugo: I had Fjord booked for an interview panel Thursday 1-3
Ciara: moved you to Boyne, same size, same floor
Hugo: perfect, does it have a Zoom Room?
Ciara: yes, and a whiteboard wall. the new AV in Fjord will have two screens and ceiling mics, so hybrid meetings should be much better from Monday
Hugo: great, thanks for sorting it
S: Ciara announced that the Fjord and Liffey rooms in Dublin are closed Thursday and Friday for AV installation and moved Hugo's Thursday 1–3 interview panel to Boyne, which has the same size, a Zoom Room and a whiteboard.
----
D:
Data access policy
Access to customer data is granted by role, not by person. Production read access requires a ticket, manager approval and approval from the data owner listed in the access portal. Access expires after 90 days unless renewed. Bulk exports of customer data are only allowed for support investigations and must be deleted within 30 days. All access is logged and reviewed quarterly by Security. Using customer data to train models requires a separate approval from Legal and the customer's contract to allow it.
S: Customer data access is role-based, needs a ticket plus manager and data owner approval, expires after 90 days and is reviewed quarterly; bulk exports are only for support and deleted within 30 days, and model training needs Legal approval.
----
Q: can customer data be used to train models?
D:
Data access policy
Access to customer data is granted by role, not by person. Production read access requires a ticket, manager approval and approval from the data owner listed in the access portal. Access expires after 90 days unless renewed. Bulk exports of customer data are only allowed for support investigations and must be deleted within 30 days. All access is logged and reviewed quarterly by Security. Using customer data to train models requires a separate approval from Legal and the customer's contract to allow it.
S: Only with a separate approval from Legal, and only if the customer's contract allows it.
----
D:
Subject: Quillon Media migration, weekly update
From: Bettina Kraus (Quillon Media)

Hi Samuel, this week we migrated the newsroom and finance spaces, about 220,000 pages. That brings us to 70%. Left: the archive (about 400,000 pages of old articles) and the HR space, which needs a privacy review first. The archive import is slow, roughly 20,000 pages per hour. Can your team raise our import rate limit? Otherwise we won't finish before the June 21 cutover.
Bettina
S: Bettina Kraus reported Quillon Media's migration at 70% after moving 220,000 newsroom and finance pages, with a 400,000-page archive and HR space left, and asked Samuel to raise the import rate limit so they finish by June 21.
----
D:
Data Eng guild, May 29, talk summary
Amara Osei presented "Backfilling without tears". Lessons from backfilling 3 years of events after the schema change in March:
1. Make every task idempotent, keyed by date partition, so reruns are safe.
2. Backfill newest data first, since that's what dashboards need.
3. Limit concurrency to protect the warehouse; she used 8 parallel tasks after 32 caused timeouts.
4. Compare row counts per partition before and after.
The backfill took 4 days instead of the planned 2, mostly because of the concurrency issue.
S: At the May 29 Data Eng guild, Amara Osei shared lessons from backfilling three years of events: idempotent per-partition tasks, newest data first, 8 parallel tasks after 32 caused timeouts, and row-count checks; it took 4 days, not 2.
----
D:
Procurement request: Figma seats
Requester: Yara Mansour
We need 25 additional Figma Organization seats for the design team growth and for product managers who review designs. Current: 40 seats. Cost: $45 per seat per month, so $13,500 a year extra. Budget: within Design's approved tools budget for 2024. Alternative considered: viewer-only access for PMs, which is free, but they can't comment in dev mode. Approval needed from: Finance (Kwame Mensah) and IT (software inventory).
S: Yara Mansour requested 25 more Figma Organization seats, from 40 to 65, at $13,500 a year within Design's 2024 budget, because free viewer access doesn't let PMs comment in dev mode; Kwame Mensah and IT must approve.
----
D:
#eng-announcements
Pablo: the old Jenkins server will be turned off on July 31. everything should be on GitHub Actions by then
Pablo: 14 jobs are still on Jenkins, mostly nightly data jobs owned by Data Eng and two release jobs owned by Mobile
Nikolai: we'll move the data jobs to Airflow instead, ETA July 15
Keisha: the mobile release jobs need macOS runners, do we have them?
Pablo: yes, 4 macOS runners are available in Actions now
S: Pablo announced the Jenkins server shuts down July 31 with 14 jobs left; Nikolai will move Data Eng's nightly jobs to Airflow by July 15, and Mobile's two release jobs can use the four new macOS runners on GitHub Actions.
""")

SUM_TRAIN.append(r"""
Q: what does the customer want?
D:
From: Dr. Ngozi Eze (Okafor Health)
To: Samuel Achebe
Subject: Renewal

Samuel, before we sign the renewal we need three things. First, a written explanation of the February storage incident and what has changed since. Second, confirmation that patient-related documents stay in our region, including the new AI features. Third, a named technical contact for escalations instead of the general support queue. If these are in place, we're prepared to renew for two years and add the nursing department, about 600 users.
Regards, Ngozi
S: Okafor Health wants a written account of the February storage incident and changes since, confirmation that patient documents and AI features stay in-region, and a named escalation contact; then they'd renew for two years and add 600 nursing users.
----
D:
Incident review board, weekly
Rahul: Three postmortems to review. INC-834 search timeouts: actions are on track, Omar added the pool saturation alert yesterday.
Ines: INC-842 webhook delays: Darius's postmortem is in draft. The open question is whether consumers should skip poison messages automatically.
Aisha: I'd rather send them to a dead-letter queue and page, not skip silently.
Rahul: Agreed, dead-letter queue plus alert. INC-846, the EU latency one: still waiting on the postmortem, due Friday.
Hugo: One more: can we standardize action item due dates? Half of them have none.
Rahul: Yes, every action needs an owner and a date before a postmortem is approved.
S: The incident review board found INC-834 actions on track, chose a dead-letter queue with alerting rather than silently skipping poison messages for INC-842, expects INC-846's postmortem Friday, and now requires an owner and date for every action.
----
D:
Subject: Office days in London
From: Katie Morgan, Workplace

From next month, London teams will have set office days so people actually see each other: Engineering and Design on Tuesday and Wednesday, Sales and Customer Success on Monday and Thursday, and G&A teams on Tuesday and Thursday. Desks are still unassigned, but each team gets a zone on the 4th floor on its days. Lunch is catered on Tuesdays and Thursdays. If your role needs different days, agree it with your manager.
S: From next month, London teams get set office days (Engineering and Design Tuesday–Wednesday, Sales and CS Monday–Thursday, G&A Tuesday–Thursday) with team zones on the 4th floor and catered lunch on Tuesdays and Thursdays, Katie Morgan announced.
----
D:
Design doc excerpt: Webhook delivery guarantees
Today webhooks are delivered at least once with up to 8 retries over 24 hours. Customers have asked for two things: ordering guarantees per resource, and the ability to replay missed events after an outage on their side.
Proposal: partition the webhook topic by resource ID so events for one document are delivered in order, and keep 7 days of events so customers can request a replay from the developer portal. Replays are rate limited to 100 events per second.
Out of scope: exactly-once delivery. Customers should keep using the event ID to deduplicate.
S: The proposal partitions webhooks by resource ID to keep per-resource ordering and retains 7 days of events for customer-requested replays at up to 100 events per second, while exactly-once delivery stays out of scope, with event IDs for deduplication.
----
D:
#growth
Jonas: onboarding checklist results are in. activation (3+ searches in week 1) went from 41% to 49%
Lina: and conversion?
Jonas: too early, trials are 14 days. first cohort finishes next Tuesday
Lina: any step where people drop?
Jonas: "connect your first app" still loses 38% of users. Google Drive works fine, Microsoft is where most fail, admin consent screen confuses people
Lina: maybe we detect non-admins and let them invite their admin?
Jonas: yes, let's prototype that
S: The onboarding checklist raised week-one activation from 41% to 49%, with conversion results due next Tuesday; 38% still drop at "connect your first app", mostly on Microsoft admin consent, so Jonas and Lina will prototype an invite-your-admin flow.
----
D:
Release notes, connectors, June
- Salesforce connector 3.2: indexes Chatter posts and attachments on opportunities.
- Slack connector: private channels can now be included, with admin opt-in per channel.
- SharePoint connector 2.8: uses version IDs to detect content changes, fixing stale search results for files updated in place.
- Zendesk connector: now respects ticket visibility for light agents.
- Deprecated: the legacy Box connector stops syncing on August 15; customers should switch to Box connector 2.
S: June connector updates index Salesforce Chatter and opportunity attachments, allow opt-in Slack private channels, fix stale SharePoint results using version IDs, respect Zendesk light-agent visibility, and stop the legacy Box connector on August 15.
----
Q: what was decided about Java upgrades?
D:
Platform sync, June 3
Sigrid: Service discovery under Helix is now live in staging. Production rollout starts June 17, one region at a time.
Darius: Kafka brokers were added in us-east on Monday, disk is down to 52%.
Pablo: Reminder that Java 11 support ends in December. Eleven services are still on it.
Sigrid: Let's make Java 17 the default in the service template now, and give teams until October 31 to upgrade. After that, Platform files tickets against their services.
Darius: Can Platform provide an upgrade guide?
Pablo: I'll write one this week.
S: Java 17 becomes the default in the service template immediately, teams have until October 31 to upgrade the eleven remaining Java 11 services, Platform will file tickets after that, and Pablo writes an upgrade guide this week.
----
D:
Support macro: password reset not received
If a user says they didn't receive the password reset email:
1. Check the email address in the admin console matches what they typed.
2. Check the email log in the support tool; if the message bounced, ask them to check with their IT team about spam filters and allow no-reply@corvel.io.
3. If their workspace uses SSO, password reset doesn't apply; they must reset their password with their identity provider.
4. If none of this helps, escalate to Tier 2 with the user ID and the time they requested the reset.
S: For missing password reset emails, support agents verify the address, check the email log for bounces and suggest allowing no-reply@corvel.io, point SSO users to their identity provider, and otherwise escalate to Tier 2 with user ID and request time.
----
D:
From: Gabriel Moreau
To: Engineering managers
Subject: Promotion cycle

Hi all, promotion packets for the mid-year cycle are due June 14. This cycle we're changing two things. Packets are limited to two pages plus links, because the committee couldn't read 10-page documents carefully. And every packet needs a peer review from an engineer outside the candidate's team, arranged by the manager. The committee meets July 1 to 3, and results are shared with managers on July 10. Please tell candidates before then only if you have to.
Gabriel
S: Gabriel Moreau told engineering managers that mid-year promotion packets are due June 14, limited to two pages plus links, each with a peer review from outside the team; the committee meets July 1–3 and results reach managers July 10.
----
D:
#help-finance
Tom: I paid for a customer dinner with my personal card, 6 people, $540. can I expense it?
Beatrix: yes, as a client meal. list all attendees and their companies in Concur
Tom: one of them is from our team, does that matter?
Beatrix: no, just list everyone. but it's over $75 per person, so you need director approval in the report
Tom: ok, my director is Felipe
Beatrix: then add him as an extra approver before submitting
S: Beatrix told Tom he can expense a $540 customer dinner for six paid personally as a client meal, listing all attendees, but because it exceeds $75 per person he must add his director Felipe as an approver.
----
D:
Status update: Helix service discovery
Goal: replace three internal service discovery mechanisms (Consul, static config and DNS conventions) with one.
Progress: Helix runs in staging for all 84 services. Two services had hard-coded hosts and were fixed. Latency of lookups is under 2 ms at p99.
Next: production rollout region by region starting June 17 (ap-southeast first, as it's the smallest), then eu-central and us-east by July 15. Consul is shut down in August.
Risks: the billing batch jobs resolve hosts only at startup and need a restart after changes.
Owner: Sigrid Aalto
S: Helix now runs in staging for all 84 services with sub-2 ms p99 lookups; production rollout starts June 17 in ap-southeast, reaching us-east by July 15 before Consul shuts down in August, though billing batch jobs need restarts after changes.
----
D:
Customer call notes: Hollis Manufacturing, June 5
Attendees: Reggie Moss (operations lead, Hollis), Hannah Stein, Femi Adeyemi
Reggie explained that supervisors on plant floors have no Wi-Fi in some areas and need safety procedures offline. They tried offline mode beta but it crashed on large PDF manuals.
Femi said 6.3.1 caps pinned files at 50 MB and fixes the crash; most of their manuals are under 30 MB.
Reggie asked for a way to pin a whole folder instead of single files.
Next steps: Hollis retests with 6.3.1 next week; Femi logs folder pinning as a request; Hannah checks back in two weeks.
S: Hollis Manufacturing's Reggie Moss needs offline safety procedures on plant floors; Femi said mobile 6.3.1 fixes the large-PDF crash, Hollis will retest next week, and folder pinning was logged as a request.
----
D:
Policy: gifts and hospitality
Employees may accept gifts from customers, vendors or partners worth up to $100 per year per giver. Anything above that must be declined or reported to Legal, who may let you keep it or donate it. Meals and events are allowed if they have a clear business purpose and aren't lavish. Never accept cash, gift cards or anything during an active procurement or contract negotiation with that company. Giving gifts to government officials requires approval from Legal in advance.
S: Employees may accept gifts up to $100 a year per giver, must report or decline larger ones, may attend reasonable business meals, must never accept cash, gift cards or anything during active negotiations, and need Legal approval to give gifts to officials.
----
Q: can I accept a gift card from a vendor?
D:
Policy: gifts and hospitality
Employees may accept gifts from customers, vendors or partners worth up to $100 per year per giver. Anything above that must be declined or reported to Legal, who may let you keep it or donate it. Meals and events are allowed if they have a clear business purpose and aren't lavish. Never accept cash, gift cards or anything during an active procurement or contract negotiation with that company. Giving gifts to government officials requires approval from Legal in advance.
S: No, the policy says never to accept cash or gift cards from a customer, vendor or partner, whatever their value.
----
D:
Project kickoff: Marigold approvals
Isabel: Marigold approvals lets teams route a document for sign-off inside Corvel, like contract reviews or policy updates.
Isabel: v1 scope: sequential approvers, due dates, email and Slack notifications, and an audit trail. No parallel approvals and no conditional routing yet.
Ethan: Frontend estimate is six weeks with two engineers.
Zoe: Backend can reuse the notifications service, about four weeks.
Isabel: Target is beta on September 16 with five design partners. Sunfield Credit Union and Redfern Schools already said yes.
S: Isabel kicked off Marigold approvals, v1 offering sequential approvers, due dates, notifications and an audit trail but no parallel or conditional routing, with a September 16 beta for five partners including Sunfield Credit Union and Redfern Schools.
----
D:
Subject: Quarter close reminder
From: Kwame Mensah

Hi all, Q2 closes on June 30. To close the books on time:
- Submit all expenses incurred in Q2 by July 3.
- Purchase orders for Q2 work must be received in Coupa by June 28.
- Sales: all Q2 deals need signed order forms in Salesforce by 23:59 Pacific on June 30. Deals signed after that count for Q3, no exceptions this quarter.
- Budget owners: accrual requests to finance-close@corvel.io by July 2.
Thanks for your help.
S: Kwame Mensah reminded staff that Q2 closes June 30: expenses by July 3, purchase orders in Coupa by June 28, signed order forms in Salesforce by 23:59 Pacific June 30 with no exceptions, and accrual requests by July 2.
----
D:
#security
Nadia: phishing campaign targeting Corvel today, fake "payroll update" emails linking to a Workday lookalike domain
Nadia: 23 people reported it, thank you. 2 people entered credentials; their passwords are reset and sessions revoked
Omar: did we block the domain?
Nadia: yes, blocked at the proxy and in email filtering. also asked the registrar to take it down
Nadia: reminder: Workday is only ever at corvel.myworkday.com
S: Nadia reported a phishing campaign using fake payroll update emails and a Workday lookalike domain; 23 people reported it, the 2 who entered credentials had passwords reset and sessions revoked, and the domain is blocked and reported to its registrar.
----
D:
Interview loop changes (Engineering)
From July 1, onsite loops for engineering roles have four interviews instead of five: coding, system design (senior and above) or a second coding round (junior), a collaboration interview, and a hiring manager conversation. The separate "debugging" round is folded into coding. Interviewers must submit scorecards within 24 hours; the recruiter will schedule the debrief only once all scorecards are in. Candidates will hear back within five business days.
S: From July 1, engineering loops drop from five to four interviews, folding debugging into coding, with system design for senior roles; scorecards are due within 24 hours and candidates hear back within five business days.
----
D:
From: Laura Chen
To: Lucía Ferrer
Subject: Semantic search beta feedback

Hi Lucía, our team at Pinehurst Retail has been using the semantic search beta for two weeks. Results for questions like "how do I return a damaged item" are much better than keyword search. Two issues: results sometimes show archived policies from 2019, and searches in French return English documents first. Our store managers in Quebec noticed immediately. Can archived content be excluded by default?
Best, Laura
S: Laura Chen said Pinehurst Retail finds the semantic search beta much better for natural questions, but it surfaces archived 2019 policies and ranks English documents first for French queries, and asked Lucía to exclude archived content by default.
----
D:
Retro: Beacon launch
What went well: the launch day was smooth, with no incidents and 1,200 signups in the first week, 20% above plan. The landing page A/B test was useful.
What didn't: onboarding emails went out two days late because a template approval in Marketing Ops was missed. Support wasn't briefed on the new pricing page and gave wrong answers for a day.
Changes: a launch checklist with named owners for each step, and a support briefing at least three days before any launch. Jonas owns the checklist.
S: The Beacon launch had no incidents and 1,200 first-week signups, 20% above plan, but onboarding emails were two days late and support wasn't briefed on pricing; Jonas will own a launch checklist, and support briefings happen three days before launches.
""")

SUM_TRAIN.append(r"""
Q: what is the new deadline?
D:
#proj-osprey
Mira: bad news, the Osprey launch can't make July 24
Mira: the Outlook add-in was rejected by Microsoft's store review on Friday. reason: our privacy policy link 404s in two locales
Ethan: fix is trivial, but resubmission takes 5-10 business days
Mira: so realistic launch is August 7. I'll tell marketing and the press agency today
Lucía: does the web part of Osprey have to wait?
Mira: no, but launching without the add-in makes no sense, it's the headline feature
Lucía: ok, August 7 it is
S: Osprey's launch moves from July 24 to August 7, because Microsoft rejected the Outlook add-in over a broken privacy policy link and resubmission takes 5–10 business days.
----
D:
Subject: New hire equipment
From: IT Operations

To all hiring managers: please submit equipment requests for new hires at least 10 business days before their start date. Standard kits are a 14-inch MacBook Pro (engineers and designers) or a 13-inch MacBook Air (everyone else), a headset and a 27-inch monitor for office workers. Remote hires get the monitor shipped home. Requests made later than 10 days ahead may mean the new hire starts with a loaner laptop. Windows laptops are available for Finance on request.
S: IT asks hiring managers to request new-hire equipment at least 10 business days before the start date; kits are a MacBook Pro for engineers and designers or a MacBook Air for others, plus headset and monitor, or a loaner if late.
----
D:
Weekly business review, Customer Success
Felipe: Gross retention for the trailing 12 months is 91%, net 118%.
Samuel: Three renewals at risk this quarter: Kinnear Foods, Pinehurst Retail and Orion.
Felipe: Pinehurst? I thought they were healthy.
Samuel: Usage is fine, but their new CFO wants to cut software spend 15% across the board.
Felipe: Offer a 2-year term at the current price instead of a discount. And Kinnear?
Samuel: Training sessions happened in June, usage is up 12% since. Still risky.
Felipe: Keep going. I'll join the Orion call with Elena.
S: Customer Success reported 91% gross and 118% net retention, with Kinnear Foods, Pinehurst Retail and Orion at risk; Pinehurst gets a 2-year term at current price for its CFO's 15% cut, and Felipe joins Orion's call.
----
Q: how much does it cost?
D:
Procurement request: observability platform renewal
Requester: Ines Carvalho
Our contract for the observability platform renews on August 1. Current cost is $318,000 a year for 400 hosts and 2 TB of logs per day. The vendor's renewal quote is $366,000 (+15%). We've reduced log volume by 30% since March by dropping debug logs in production, so we can commit to 1.4 TB per day, which brings the quote down to $289,000. Alternative: self-host the open-source stack, estimated $180,000 a year plus one SRE. Recommendation: renew for one year at the lower volume.
S: The observability platform costs $318,000 a year; the renewal quote is $366,000, but committing to 1.4 TB of logs a day lowers it to $289,000, while self-hosting would cost about $180,000 plus an SRE.
----
D:
Postmortem: INC-846, EU search latency (June 10)
Impact: From 10:55 to 12:41 UTC, search in eu-central averaged 3 to 4 seconds instead of 0.6 seconds. No data loss.
Cause: A node failed because of a full disk. The cluster started rebuilding replicas onto the remaining nodes, which were already at 78% CPU, so queries slowed down. The disk filled because a log rotation job had been failing silently since May 28.
What went well: the on-call engineer, Aisha Karimi, posted status updates every 30 minutes.
Actions: alert on log rotation failures (Aisha); keep cluster CPU under 60% at peak, which means adding 3 nodes (Sigrid, by July 1).
S: On June 10, eu-central search slowed to 3–4 seconds for 106 minutes after a node's disk filled from a silently failing log rotation job and replica rebuilds overloaded busy nodes; Aisha adds alerts and Sigrid adds three nodes by July 1.
----
D:
Subject: Re: Okafor Health renewal
From: Samuel Achebe
To: Dr. Ngozi Eze

Dr. Eze, thank you for your patience. Attached is the incident report for February, with the changes we made: storage nodes now fail over automatically and we test it monthly. On data residency, all documents and AI processing for your workspace stay in our UK region; this is written into the renewal order form. Your named technical contact will be Rahul Menon, our Director of SRE, with Tariq Aziz as backup.
Best, Samuel
S: Samuel Achebe sent Okafor Health the February incident report noting monthly-tested automatic failover, confirmed documents and AI processing stay in the UK region in the order form, and named Rahul Menon as technical contact with Tariq Aziz as backup.
----
Q: who is the technical contact?
D:
Subject: Re: Okafor Health renewal
From: Samuel Achebe
To: Dr. Ngozi Eze

Dr. Eze, thank you for your patience. Attached is the incident report for February, with the changes we made: storage nodes now fail over automatically and we test it monthly. On data residency, all documents and AI processing for your workspace stay in our UK region; this is written into the renewal order form. Your named technical contact will be Rahul Menon, our Director of SRE, with Tariq Aziz as backup.
Best, Samuel
S: Okafor Health's named technical contact will be Rahul Menon, Corvel's Director of SRE, with Tariq Aziz as his backup.
----
D:
#analytics
Ravi: weekly metrics are out. WAU 1.42M, +3% WoW. searches per user flat at 11.2
Emeka: no-click rate went up from 18% to 21%
Ravi: that's the semantic search beta customers. they get answers in the snippet, so no click
Emeka: then no-click is the wrong success metric for them
Ravi: agreed, let's add "answer shown" events and exclude beta workspaces from no-click until we have that
S: Weekly metrics showed 1.42M WAU (+3%) and flat searches per user, but no-click rose from 18% to 21% because semantic search beta users get answers in snippets; Ravi will add "answer shown" events and exclude beta workspaces meanwhile.
----
D:
Policy: open source contributions
Engineers may contribute to open source projects on work time when the contribution relates to tools we use. Small fixes (under 100 lines, no new features) don't need approval. Larger contributions, or anything that publishes Corvel code, need approval from the OSS review group, usually within 3 business days. Never include customer data, internal hostnames or secrets. Contributions are made with your Corvel GitHub account, and Corvel's CLA with the project must be in place.
S: Engineers may contribute on work time to open source projects Corvel uses; fixes under 100 lines need no approval, larger or code-publishing contributions need OSS review group sign-off in about 3 days, and no customer data or secrets may be included.
----
D:
Sprint planning, Search Infra, sprint 22
Lena: Capacity is 42 points; Tobias is out Thursday and Friday.
Wei: Semantic search beta work: 18 points, mostly the archived-content filter Pinehurst asked for and French ranking.
Lena: Those are customer-visible, so they go first. What else?
Omar: Pool saturation alert from INC-834, 3 points, and per-tenant indexing quotas, 13 points.
Lena: Quotas are big. Split them and take the first half this sprint.
Wei: That leaves room for the gRPC migration of autocomplete, 8 points.
S: Search Infra's sprint 22 (42 points, Tobias out two days) prioritizes semantic search beta fixes for archived content and French ranking, the INC-834 pool alert, half of the per-tenant indexing quotas, and the autocomplete gRPC migration.
----
Q: what should users do?
D:
IT notice: macOS 14.5 and VPN
If you updated to macOS 14.5 and the VPN says "certificate not trusted", open Self Service, run "Reinstall VPN profile" and restart your laptop. This takes about 3 minutes. We've fixed the profile for new installs, so laptops set up from today aren't affected. If reinstalling doesn't help, contact the helpdesk on ext. 4400 or in #it-helpdesk. Please don't delete the VPN app yourself: it removes your device certificate and the helpdesk will need to re-enroll your laptop.
S: Users on macOS 14.5 seeing "certificate not trusted" should run "Reinstall VPN profile" in Self Service and restart, without deleting the VPN app, and contact the helpdesk on ext. 4400 if that fails.
----
D:
Subject: Onsite follow-up
From: Rupert Hale (Marlow & Finch)

Samuel, thanks to you and the team for Tuesday. The roadmap conversation was the most useful vendor session we've had this year. Two follow-ups from our side: Gemma will send the list of 15 SharePoint sites we want indexed first, and Oscar will share our Entra ID group structure so Rahul can check the SCIM mapping. On our question about running ADFS and Entra ID in parallel, Rahul's answer (yes, for up to 60 days) works for us. We'll start the switch on August 5.
S: Rupert Hale thanked Samuel for the onsite and confirmed Marlow & Finch will start its Entra ID switch on August 5, using the 60-day parallel ADFS period; Gemma sends 15 priority SharePoint sites and Oscar the group structure for Rahul.
----
D:
Design doc excerpt: Audit log export
Enterprise admins need to send audit logs to their own security tools. Today they can only download CSV files from the admin console, up to 30 days at a time.
Proposal: a streaming export to S3, Azure Blob or Google Cloud Storage, delivering events in JSON lines every 5 minutes. Admins configure the destination and credentials in the admin console. Exports include all event types except search queries, which contain personal data and need a separate opt-in.
Pricing: included in the Compliance add-on.
Owner: Zoe Patel. Target: Q4.
S: Zoe Patel proposes streaming Enterprise audit logs to S3, Azure Blob or GCS as JSON lines every 5 minutes, replacing 30-day CSV downloads, excluding search queries unless opted in, within the Compliance add-on and targeting Q4.
----
D:
#dublin-office
Ciara: the Dublin office will close early at 3pm on Friday for the summer party
Ciara: party starts 4pm at the Grand Canal Dock venue, food and drinks until 9
Amara: can we bring partners?
Ciara: yes, one guest each, just add their name on the sign-up sheet by Wednesday
Hugo: are people from the London office invited?
Ciara: anyone visiting is welcome, the same sign-up sheet applies
S: Ciara announced the Dublin office closes at 3pm Friday for the summer party at Grand Canal Dock from 4pm to 9pm; each person may bring one guest and visitors from other offices are welcome, with sign-ups due Wednesday.
----
Q: what are the risks?
D:
Status update: Nimbus discovery (self-hosted edition)
We spoke with 12 customers and prospects in banking, health and government. 9 would pay at least 40% more for a self-hosted edition.
Requirements: run on their Kubernetes, no outbound internet, and bring-your-own identity provider.
Risks: AI features depend on GPU services we run centrally; supporting air-gapped installs could double support effort; upgrades on customer infrastructure are slow, so we'd maintain several versions at once.
Next: Elena and Gabriel decide in July whether to fund a 6-person team.
S: The Nimbus risks are that AI features rely on centrally run GPU services, air-gapped installs could double support effort, and slow customer-run upgrades would force Corvel to maintain several versions at once.
----
D:
Subject: Reminder: Figma license audit
From: IT Software Asset Management

We're reviewing Figma usage before the renewal. 14 people with full Editor seats haven't opened a file in 60 days. If you're one of them, you'll get a separate email; reply within a week if you still need the seat, otherwise you'll be moved to a free Viewer seat on July 15. Viewers can still see and comment on files. This saves about $7,500 a year and frees seats for the 25 new ones Design asked for.
S: IT will move 14 Figma Editor seat holders who haven't opened a file in 60 days to free Viewer seats on July 15 unless they reply within a week, saving about $7,500 a year and freeing seats for Design.
----
D:
Weekly update: Atlas billing migration, June 10
Overall: green.
EUR reconciliation: fixed. After switching to per-invoice VAT rounding, parallel billing matched 100% for the 140 affected accounts.
Finance sign-off: Ingrid approved the test plan on June 4.
Cutover plan: June 14 from 22:00 UTC. Old billing goes read-only at 22:00; the new system generates invoices from 23:00. Rollback is possible until June 16.
Comms: customers don't see any change except a new invoice PDF layout. Support has a briefing on June 12.
S: Atlas is green for its June 14 cutover from 22:00 UTC: EUR reconciliation now matches 100% after per-invoice VAT rounding, Ingrid approved the test plan June 4, rollback stays possible until June 16, and support is briefed June 12.
----
D:
#people-ops
Jamal: what's the process if someone on my team wants to move to another team internally?
Sinéad: they talk to you first, then apply through the internal jobs page. they need 12 months in their current role
Jamal: and if they've been here 10 months?
Sinéad: both managers and their HRBP can agree to an exception. it's common if the move is within the same org
Jamal: does the new team need to have an open role?
Sinéad: yes, there has to be an approved req
S: Sinéad explained that internal transfers start with a talk with the current manager, then an application on the internal jobs page, need 12 months in role unless both managers and the HRBP agree, and require an approved open role.
----
D:
Customer escalation: Tessaly Bank
From: Karel Novak (Tessaly Bank, Head of IT Risk)
To: Elena Rossi

Elena, our regulator has asked all banks to document where third-party AI processing happens. Your team's answer so far was "mostly in the EU". "Mostly" is not acceptable to us. We need written confirmation, by June 28, of every location where our data is processed by any AI feature, including subprocessors. Until then we've disabled AI answers for all users.
Karel
S: Tessaly Bank's Karel Novak disabled AI answers and told Elena Rossi that, for their regulator, he needs written confirmation of every location, including subprocessors, where AI features process their data by June 28, rejecting "mostly in the EU".
----
Q: when is the deadline?
D:
Customer escalation: Tessaly Bank
From: Karel Novak (Tessaly Bank, Head of IT Risk)
To: Elena Rossi

Elena, our regulator has asked all banks to document where third-party AI processing happens. Your team's answer so far was "mostly in the EU". "Mostly" is not acceptable to us. We need written confirmation, by June 28, of every location where our data is processed by any AI feature, including subprocessors. Until then we've disabled AI answers for all users.
Karel
S: Tessaly Bank needs the written confirmation of all AI processing locations, including subprocessors, by June 28.
----
D:
Release notes, admin console, July
- Admin analytics (beta): monthly usage report as PDF, no-click search rate and usage by department. Departments with fewer than 10 users are grouped to protect privacy.
- Data residency page: admins can now see which region stores their data and where AI features process it.
- SCIM: group renames in the identity provider no longer change document permissions until an admin reviews them.
- Session length: admins can set session timeouts from 1 hour to 30 days.
S: The July admin console release adds an admin analytics beta with privacy-grouped department usage, a data residency page showing storage and AI processing regions, admin review before SCIM group renames change permissions, and configurable session timeouts.
----
D:
Office hours notes: data platform
Amara: Three questions this week. First, Jonas asked why the signups table is a day behind. Answer: it's loaded by the nightly batch; the real-time version is events.signups_raw.
Amara: Second, Finance wants a Looker explore for invoices from the new billing system. Kwame's team will own it; we'll help model it next sprint.
Amara: Third, someone asked if they can query production Postgres directly for a report. No: use the warehouse replica, which has the same data with a 15-minute delay.
S: At data platform office hours, Amara explained the signups table loads nightly (use events.signups_raw for real time), agreed to help Finance model a new-billing invoices explore next sprint, and directed reporting to the warehouse replica instead of production Postgres.
""")

SUM_TRAIN.append(r"""
D:
Subject: Driftwood beta update
From: Noor Hassan

Hi all, Driftwood, our new integrations framework, now has 12 beta customers and 9 connectors built on it, including Canva, Notion and Asana. Median time to build a new connector dropped from 6 weeks to 9 days. Two problems: rate limits on the Notion API cause slow first syncs for large workspaces, and partners want better local testing tools. Next milestone: opening the SDK to three external partners in August. GA is planned for November.
Noor
S: Noor Hassan reported Driftwood has 12 beta customers and 9 connectors, cutting connector build time from 6 weeks to 9 days; Notion rate limits slow first syncs, partners want local testing tools, and the SDK opens to three partners in August before November GA.
----
Q: which connectors are available?
D:
Subject: Driftwood beta update
From: Noor Hassan

Hi all, Driftwood, our new integrations framework, now has 12 beta customers and 9 connectors built on it, including Canva, Notion and Asana. Median time to build a new connector dropped from 6 weeks to 9 days. Two problems: rate limits on the Notion API cause slow first syncs for large workspaces, and partners want better local testing tools. Next milestone: opening the SDK to three external partners in August. GA is planned for November.
Noor
S: Nine connectors have been built on Driftwood so far, including Canva, Notion and Asana, though large Notion workspaces sync slowly at first because of API rate limits.
----
D:
Hiring committee notes: Staff ML Engineer
Candidate: Priscilla Owusu
Lena: Strong ranking background, built learning-to-rank at a travel search company. Clear communicator.
Wei: Coding was average, she was slow on the string problem but got there.
Hugo: System design was the best I've seen this year. She designed the feature store with backfills and online/offline consistency.
Priya: Level?
Lena: Staff. Her design work and mentoring record match the staff rubric.
Decision: hire at Staff. Offer to go out this week; remote from Accra is fine, she'll visit Dublin quarterly.
S: The hiring committee agreed to hire Priscilla Owusu as a Staff ML Engineer, citing her learning-to-rank experience and exceptional system design despite average coding; the offer goes out this week, working remotely from Accra with quarterly Dublin visits.
----
D:
#cx-escalations
Tariq: Castellan SEC-221 update: Identity team found the bug. when a nested group is renamed in the IdP, we create a new group and copy the parent's permissions instead of the child's
Nadia: how many customers could be affected?
Tariq: any SCIM customer that renamed a nested group since March. 7 workspaces, we're checking each
Nadia: Legal needs a list by tomorrow for breach assessment
Tariq: you'll have it by 10am. fix ships tonight
S: Tariq reported that SEC-221 came from SCIM copying a parent group's permissions when a nested group was renamed, possibly affecting 7 workspaces since March; the fix ships tonight and Nadia gets the affected list for Legal by 10am.
----
D:
Policy: working hours and overtime (Ireland)
The standard working week in Ireland is 39 hours, Monday to Friday. Employees are entitled to an 11-hour rest between working days and a 30-minute break after 6 hours. Overtime is not normally paid for salaried roles, but time off in lieu is given for work on weekends or public holidays, such as on-call incidents. Work on a public holiday also earns an extra day of leave. Employees should not regularly work more than 48 hours a week averaged over four months.
S: In Ireland the standard week is 39 hours with an 11-hour daily rest and a 30-minute break after 6 hours; salaried staff get time off in lieu for weekend or holiday work, an extra day for public holidays, and a 48-hour average cap.
----
Q: what do I get for working on a public holiday?
D:
Policy: working hours and overtime (Ireland)
The standard working week in Ireland is 39 hours, Monday to Friday. Employees are entitled to an 11-hour rest between working days and a 30-minute break after 6 hours. Overtime is not normally paid for salaried roles, but time off in lieu is given for work on weekends or public holidays, such as on-call incidents. Work on a public holiday also earns an extra day of leave. Employees should not regularly work more than 48 hours a week averaged over four months.
S: Working on a public holiday in Ireland earns time off in lieu for the hours worked plus an extra day of leave, since salaried roles don't get paid overtime.
----
D:
Engineering demo day, Friday
Wei showed query autocomplete that uses the user's recent documents: suggestion acceptance went from 9% to 14% in the experiment.
Keisha showed offline mode on tablets, including folder pinning, which Hollis Manufacturing asked for.
Pablo showed the new CI cache: median web-app build time is down from 14 minutes to 8.
Questions: Gabriel asked whether personal autocomplete leaks document titles; Wei confirmed suggestions only come from documents the user can access.
Recording is in the Engineering drive.
S: At Friday's demo day, Wei's personalized autocomplete raised acceptance from 9% to 14% using only accessible documents, Keisha showed tablet offline mode with folder pinning, and Pablo's CI cache cut web-app builds from 14 to 8 minutes.
----
D:
Subject: Summer interns
From: University Recruiting

We're welcoming 18 interns on June 17: 12 in Engineering, 3 in Design, 2 in Product and 1 in Finance. Each intern has a manager and a buddy; please make sure buddies have been assigned by June 10. Interns work on real projects with a demo day on August 22. The intern program budget covers one team lunch per month. Housing support is handled by the agency, so send any housing questions to interns@corvel.io rather than to People Ops.
S: University Recruiting announced 18 interns starting June 17 across Engineering, Design, Product and Finance, each needing a buddy assigned by June 10, with demo day on August 22 and housing questions going to interns@corvel.io.
----
D:
Architecture decision record 014: Postgres major version upgrade
Context: our main Postgres clusters run version 13, which loses community support in November 2025.
Decision: upgrade to version 16 using logical replication to a new cluster, then switch over with under 5 minutes of write downtime per cluster.
Alternatives: in-place upgrade with pg_upgrade (faster but longer downtime and harder rollback); waiting for version 17 (too close to the end-of-support date).
Consequences: we run double capacity for about two weeks per cluster; extensions must be checked for version 16 compatibility.
Status: accepted. Owner: Darius Farahani.
S: ADR 014, owned by Darius Farahani, upgrades Postgres 13 clusters to 16 via logical replication to new clusters with under 5 minutes of write downtime each, rejecting pg_upgrade and waiting for 17, at the cost of two weeks of double capacity.
----
D:
#sales-americas
Tom: Summit Ridge University wants to pilot with 3 departments before buying campus-wide
Felipe: pilot terms?
Tom: 60 days, free, up to 300 users. they'd buy 5,000 seats if it goes well
Felipe: fine, but get success criteria in writing before it starts. and we need an exec sponsor on their side
Tom: their CIO, Dr. Alvarez, already agreed to sponsor
Felipe: good. loop in Tomás for solutions engineering
S: Summit Ridge University wants a free 60-day pilot for three departments and up to 300 users before buying 5,000 seats; Felipe approved it if success criteria are written up first, with CIO Dr. Alvarez sponsoring and Tomás supporting.
----
Q: who will run the new team?
D:
Announcement: Data Eng joins Platform
As of June 3, the Data Engineering team is part of the Platform org, led by Sigrid Aalto. Svetlana Ivanova continues to lead Data Engineering and now reports to Sigrid. Nothing changes for day-to-day work: on-call rotations, Slack channels and team rituals stay the same. The goal is one roadmap for data pipelines and the infrastructure they run on, starting with Q3 planning. Carla Jensen will host an open Q&A on June 5.
S: Svetlana Ivanova continues to lead Data Engineering, now reporting to Sigrid Aalto, who leads the Platform org that the team joined on June 3.
----
D:
Support ticket #52340, Pinehurst Retail
From: Laura Chen
"Our store managers in Quebec get English results first when they search in French. Example: 'politique de retour' shows the English returns policy above the French one."
Agent notes (Renata): Confirmed. Keyword search detects the query language, but the semantic search beta doesn't use language as a ranking signal yet. Search Infra is working on it (SRCH-1466) for sprint 22. Workaround: users can add the filter "language: French" in search. Shared with the customer.
Status: Waiting on Engineering.
S: Pinehurst Retail's Quebec store managers get English results first for French queries because semantic search beta ignores query language; Search Infra is fixing it in SRCH-1466 during sprint 22, and Renata shared a "language: French" filter workaround.
----
D:
Benefits: learning and development
Every employee has $1,500 per calendar year for learning: courses, books, conferences, certifications and language lessons. The budget doesn't roll over. Submit costs in Concur under "Learning"; courses over $500 need manager approval first. Conference travel is paid from your team's travel budget, not the learning budget. You can also take up to 3 paid learning days per year for courses or conferences. Degree programs are covered by a separate tuition policy.
S: Employees get $1,500 a year for learning, including courses, books, conferences and language lessons, that doesn't roll over; items over $500 need manager pre-approval, conference travel uses team budgets, and three paid learning days are allowed.
----
D:
From: Zoe Patel
To: Isabel Cortez
Subject: Marigold backend estimate

Isabel, I've finished the backend estimate for Marigold approvals. Reusing the notifications service works for email and Slack, but approval reminders need a scheduler we don't have. I can either build a simple one in the Marigold service (one week) or wait for the Platform team's job scheduler, which is planned for Q4. I suggest building the simple one now. Total estimate becomes five weeks instead of four. We'd still make the September 16 beta if backend starts July 8.
Zoe
S: Zoe Patel told Isabel Cortez that Marigold approval reminders need a scheduler, so she suggests building a simple one now rather than waiting for Platform's Q4 scheduler, raising the backend estimate to five weeks while keeping the September 16 beta if work starts July 8.
----
Q: what is the recommendation?
D:
From: Zoe Patel
To: Isabel Cortez
Subject: Marigold backend estimate

Isabel, I've finished the backend estimate for Marigold approvals. Reusing the notifications service works for email and Slack, but approval reminders need a scheduler we don't have. I can either build a simple one in the Marigold service (one week) or wait for the Platform team's job scheduler, which is planned for Q4. I suggest building the simple one now. Total estimate becomes five weeks instead of four. We'd still make the September 16 beta if backend starts July 8.
Zoe
S: Zoe recommends building a simple scheduler inside the Marigold service now instead of waiting for Platform's Q4 job scheduler, adding one week to the backend estimate.
----
D:
Chat: #help-it
Priscilla: hi, I'm starting remotely from Accra next week. will my laptop arrive in time?
Haruka (IT): it shipped yesterday with DHL, tracking number is in your personal email. customs can add 2-3 days
Priscilla: and if it's late?
Haruka (IT): you can use the web apps from any computer with Okta, we'll set that up on your first morning
Priscilla: great, thanks
S: Haruka from IT told Priscilla, starting remotely from Accra, that her laptop shipped yesterday by DHL with possible 2–3 day customs delays, and that if it's late she can use web apps through Okta from any computer.
----
D:
Product council decision: AI answers data processing
Background: regulated customers, including Tessaly Bank and Castellan Insurance, need certainty about where AI features process their data.
Decision: from August 1, AI answers for each workspace are processed only in the workspace's data region (US, EU or UK). We'll stop using the US-based model endpoint for EU and UK workspaces. Subprocessors are listed per region on the trust center.
Cost: about $40k a month more in GPU capacity for EU and UK.
Owner: Lucía Ferrer, with Legal reviewing customer communications.
S: The product council decided that from August 1 AI answers run only in each workspace's data region (US, EU or UK), ending use of the US endpoint for EU and UK customers, at about $40k more a month; Lucía Ferrer owns it.
----
D:
#design-crit
Yara: sharing the new search results page for crit. main change is grouping results by source
Chloé: the grouping hides the best result if it's from a small source like Jira
Marta: agree. maybe keep a top result above the groups?
Yara: good idea. also, the filters moved to the left, thoughts?
Lucía: our research says admins love filters, regular users rarely use them. left rail takes a lot of space
Yara: ok, I'll try a collapsed filter bar and a "top result" section, round two on Thursday
S: In design crit of the new search results page, Chloé and Marta warned that grouping by source hides top results from small sources and Lucía noted regular users rarely use filters; Yara will add a top-result section and collapsed filters for Thursday.
----
D:
Subject: Renewal: Calder Analytics contract
From: Oskar Lindgren

Hi Kwame, Calder Analytics, our product analytics tool, renews on September 1 at $96,000, up 12%. Usage has dropped since Growth moved most dashboards to Looker: only 23 of 80 seats were active last month. I propose renewing for 30 seats, which brings the cost to about $38,000, and reviewing in six months whether we can drop it completely. Jonas agrees as long as the funnel reports stay.
Oskar
S: Oskar Lindgren proposes renewing Calder Analytics on September 1 for 30 seats, about $38,000 instead of a 12% increase to $96,000, since only 23 of 80 seats are active after Growth moved to Looker, with a six-month review.
""")

SUM_TRAIN.append(r"""
Q: what was decided about the launch date?
D:
Semantic search GA go/no-go, September 24
Lucía: Beta has 20 customers; satisfaction is 4.4 out of 5. The French ranking fix shipped.
Sigrid: We have 14 of the 20 GPUs needed. The remaining 6 arrive October 21.
Hugo: With the cost plan, we only embed documents opened in the last year, so 14 GPUs cover customers up to about 5,000 seats.
Elena: Sales has 9 deals waiting on GA, most under 5,000 seats.
Lucía: Proposal: GA on October 8 for workspaces under 5,000 seats, and everyone else after the GPUs arrive, early November.
Decision: approved.
S: GA was approved for October 8 for workspaces under 5,000 seats, which 14 GPUs can serve, with larger workspaces following in early November after the remaining GPUs arrive on October 21.
----
D:
Vendor notice: email provider incident
From: Corvel Status (internal)
Our transactional email provider had an outage from 06:10 to 08:45 UTC today. During that time, password reset emails, notifications and daily digests were queued, not lost. Everything queued has now been sent, but users may have received several digests at once. No action is needed from customers. Support can use the macro "Delayed emails, provider outage" for tickets. The Notifications team is evaluating a second provider for failover, with a decision in Q3.
S: An email provider outage from 06:10 to 08:45 UTC queued password resets, notifications and digests, which have all now been sent; support should use the "Delayed emails, provider outage" macro, and Notifications is evaluating a failover provider in Q3.
----
D:
RFP response review: Aldgate Housing Trust
Tomás: The RFP has 180 requirements. We fully meet 162, partially meet 12, and don't meet 6.
Elena: Which 6?
Tomás: Mostly on-premise hosting and a specific accessibility certification we don't have.
Nadia: The accessibility audit we're doing this quarter would get us close. We can say "planned Q4".
Elena: What's the deal size?
Tomás: About 2,000 seats, three years, roughly $700k.
Elena: Submit it. Be honest about on-premise; mention Nimbus only as "under evaluation".
S: Corvel fully meets 162 of the Aldgate Housing Trust RFP's 180 requirements, missing on-premise hosting and an accessibility certification; Elena approved submitting the roughly $700k, 2,000-seat bid, marking certification "planned Q4" and Nimbus "under evaluation".
----
D:
Legal memo: employee monitoring
Question from People Ops: can managers see which documents an employee has searched for or opened?
Answer: No. Search history is personal data and, in the EU and UK, monitoring it requires a specific legal basis, a works council consultation in Germany and France, and notice to employees. Our privacy notice says search history is only used to improve search and for security investigations approved by Legal. Managers can see aggregate team usage with groups of 10 or more people. Individual data is only shared for a formal investigation, with Legal and People Ops approval.
S: Legal concluded that managers cannot see employees' individual search history or opened documents, only aggregate usage for groups of 10 or more; individual data is shared only in formal investigations approved by Legal and People Ops.
----
D:
#proj-kestrel
Dana: Kestrel is live for 10% of users since 9am
Marcus: refunds API error rate is 0.2%, within budget
Keisha: Android crash rate same as baseline
Lina: QA found one issue: receipts show the wrong currency symbol for CHF. not blocking
Dana: fix it in the next patch. if metrics hold, 50% tomorrow and 100% Monday
Marcus: I'll watch the payments dashboard overnight
S: Kestrel rolled out to 10% of users at 9am with a 0.2% refunds API error rate and baseline Android crashes; Lina's CHF currency symbol bug will be patched, and rollout goes to 50% tomorrow and 100% Monday if metrics hold.
----
Q: how many seats did they buy?
D:
Subject: Closed won: Summit Ridge University
From: Tom Becker

Team, Summit Ridge University signed this morning! After the pilot with 3 departments, where search success improved 24% and 87% of pilot users said they'd keep using it, they bought 5,000 seats on a 3-year term for $1.1M total. Thanks to Tomás for the pilot setup and Hannah for onboarding. Rollout starts with the libraries in January. Their CIO, Dr. Alvarez, has offered to speak at our customer summit.
Tom
S: Summit Ridge University bought 5,000 seats on a three-year term worth $1.1M after a successful three-department pilot.
----
D:
Subject: Closed won: Summit Ridge University
From: Tom Becker

Team, Summit Ridge University signed this morning! After the pilot with 3 departments, where search success improved 24% and 87% of pilot users said they'd keep using it, they bought 5,000 seats on a 3-year term for $1.1M total. Thanks to Tomás for the pilot setup and Hannah for onboarding. Rollout starts with the libraries in January. Their CIO, Dr. Alvarez, has offered to speak at our customer summit.
Tom
S: Tom Becker announced Summit Ridge University signed for 5,000 seats over three years ($1.1M) after a pilot that improved search success 24%; rollout starts with the libraries in January, and CIO Dr. Alvarez offered to speak at the customer summit.
----
D:
Onboarding guide: your first on-call shift
Before your first shift, shadow one full week with an experienced engineer. Make sure you can log in to PagerDuty, Grafana and the production bastion, and that your phone receives test pages. During your shift, acknowledge pages within 5 minutes and escalate to the secondary if you're stuck after 20 minutes. You are never expected to fix everything alone. After each incident, write a short summary in the #oncall-log channel. Hand over to the next engineer on Monday at 10:00 with a list of open issues.
S: Before your first on-call shift, shadow for a week and check access to PagerDuty, Grafana and the bastion; during it, acknowledge pages within 5 minutes, escalate after 20, log incidents in #oncall-log, and hand over Monday at 10:00.
----
D:
Meeting notes: Q3 marketing planning
Attendees: Claire Dubois, Mira Kapoor, Jonas Weber, Ada Lindqvist
Claire: Q3 has three launches: Osprey in August, Meridian pricing on September 1, and semantic search GA in October.
Mira: Osprey and pricing are three weeks apart. Can we handle both?
Ada: Content team can, if pricing has no webinar. Just a blog post, email and in-app banner.
Jonas: Growth needs the new pricing page live a week before September 1 for SEO.
Claire: Then pricing is a light launch. Semantic search gets the big campaign, with a customer webinar and the analyst briefing.
S: Q3 marketing planning covered three launches; Meridian pricing on September 1 becomes a light launch without a webinar, its page live a week early for SEO, while semantic search GA in October gets the main campaign and analyst briefing.
----
D:
Ticket #53318, Aldergrove City Council
From: Nora Fitzgerald
"Our staff can't sign in since this morning. They see 'Your organization has not approved this app' after entering their Microsoft password."
Agent notes (Tariq): Their Entra ID admin revoked tenant-wide admin consent for third-party apps during a security cleanup last night. Corvel's enterprise app was included. Sent Nora the steps to re-grant consent for the Corvel app only. Sign-in working again at 10:35.
Follow-up: suggested they add Corvel to their approved apps list to avoid this in future.
S: Aldergrove City Council staff couldn't sign in because their Entra ID admin revoked third-party admin consent overnight; Tariq sent Nora Fitzgerald steps to re-grant consent for Corvel, restoring sign-in by 10:35, and suggested adding Corvel to their approved apps.
----
Q: what is required before someone goes on call?
D:
Onboarding guide: your first on-call shift
Before your first shift, shadow one full week with an experienced engineer. Make sure you can log in to PagerDuty, Grafana and the production bastion, and that your phone receives test pages. During your shift, acknowledge pages within 5 minutes and escalate to the secondary if you're stuck after 20 minutes. You are never expected to fix everything alone. After each incident, write a short summary in the #oncall-log channel. Hand over to the next engineer on Monday at 10:00 with a list of open issues.
S: Before a first on-call shift, an engineer must shadow an experienced colleague for a full week and confirm PagerDuty, Grafana and production bastion access and that test pages reach their phone.
----
D:
From: Martin Adebayo
To: All staff
Subject: H1 results

Team, a quick note on the first half. Revenue grew 29% year over year, and we crossed 2,000 customers. Net revenue retention is 117%. We shipped saved searches, Okta SCIM, the Atlas billing platform and offline mobile. We also missed things: semantic search GA moved to October and our EU latency incident hurt some customers. For H2, our priorities are semantic search GA, the Marigold approvals beta, and getting gross margin to 76%. Thank you for the work that got us here.
Martin
S: CEO Martin Adebayo reported H1 revenue up 29%, over 2,000 customers and 117% NRR, noted the delayed semantic search GA and EU latency incident, and set H2 priorities of semantic search GA, the Marigold beta and 76% gross margin.
----
D:
#proj-helix
Sigrid: ap-southeast migrated to Helix, no issues
Sigrid: eu-central tomorrow 08:00 UTC. billing batch jobs will be restarted at 09:00 after the switch
Zainab: billing runs invoicing at 09:30 on the 1st, tomorrow is the 1st
Sigrid: good catch. let's do eu-central on Thursday instead
Zainab: thanks, Thursday is fine for us
Sigrid: I'll also add the billing run dates to the migration calendar so this doesn't come up again for us-east
S: After a clean Helix migration in ap-southeast, Sigrid moved the eu-central migration from tomorrow to Thursday because Zainab pointed out that restarting billing batch jobs would clash with first-of-month invoicing at 09:30.
----
D:
Policy: bring your own device
You may read work email, calendar and chat on a personal phone if you install the Okta Verify app and enroll the device in our mobile management profile. The profile only manages work apps; IT cannot see personal photos, messages or browsing. Personal laptops can't be used for work, except for web-based apps through Okta with no downloads. If your phone is lost, report it within 24 hours so IT can remove work data. Phone bills are reimbursed up to $50 a month for roles that require being reachable.
S: Personal phones may access work email, calendar and chat with Okta Verify and a work-only management profile, personal laptops only for web apps without downloads; lost phones must be reported within 24 hours, and on-call roles get up to $50 monthly.
----
Q: can IT see my personal data?
D:
Policy: bring your own device
You may read work email, calendar and chat on a personal phone if you install the Okta Verify app and enroll the device in our mobile management profile. The profile only manages work apps; IT cannot see personal photos, messages or browsing. Personal laptops can't be used for work, except for web-based apps through Okta with no downloads. If your phone is lost, report it within 24 hours so IT can remove work data. Phone bills are reimbursed up to $50 a month for roles that require being reachable.
S: No, the mobile management profile only manages work apps, so IT cannot see personal photos, messages or browsing on your phone.
----
D:
Interview debrief: Product Designer
Candidate: Tomasina Reyes
Chloé: Portfolio review was excellent. Her work on a healthcare scheduling app showed real research behind decisions.
Marta: Whiteboard exercise was OK but she jumped to visuals before clarifying the problem.
Isabel: She was great with me on the PM collaboration interview; asked hard questions about metrics.
Yara: I'd hire, but for Marigold specifically, where research matters more than visual polish.
Decision: hire, placed on the Marigold team. Recruiter to send offer by Friday.
S: The panel decided to hire product designer Tomasina Reyes for the Marigold team, valuing her research-driven healthcare portfolio and PM collaboration despite a weaker whiteboard exercise; the offer goes out by Friday.
----
D:
Subject: Status page changes
From: Rahul Menon

Hi all, from next week our public status page shows each region separately (US, EU, UK, APAC), so EU customers no longer see "degraded" for a US problem. We're also committing to the first public update within 15 minutes of declaring a SEV1 or SEV2, and updates every 30 minutes after. The incident commander owns updates, but can hand this to the comms lead. Templates are in the incident runbook.
Rahul
S: Rahul Menon announced the status page will show US, EU, UK and APAC separately from next week, with first public updates within 15 minutes of a SEV1 or SEV2 and every 30 minutes after, owned by the incident commander.
----
D:
Notes: finance and engineering cloud cost review
Kwame: Cloud spend was $2.5M in Q2, 4% over plan.
Sigrid: The overage is the eu-central search nodes added after INC-846 and the GPUs for semantic search.
Kwame: Those are planned for Q3 anyway, so they just arrived early. What about savings?
Darius: Reserved instances for Kafka and Postgres save $60k a quarter from July. The Postgres 16 upgrade lets us use smaller instances, another $25k a quarter.
Kwame: Good. I'll update the forecast; please flag any new GPU orders before they're placed.
S: Q2 cloud spend was $2.5M, 4% over plan, because search nodes added after INC-846 and semantic search GPUs arrived early; reserved instances and the Postgres 16 upgrade should save $85k a quarter, and Kwame wants GPU orders flagged first.
----
D:
#support-leads
Renata: ticket volume is up 22% this month
Oluchi: mostly Entra ID consent issues and the email provider outage
Renata: consent issues will keep coming as customers do security cleanups. can we put a check in the admin console?
Oluchi: a banner when consent is missing would help. I'll file it with the Identity team
Renata: and let's publish a help article today, I'll write it
S: Support ticket volume rose 22% this month, mostly from Entra ID consent revocations and the email provider outage; Oluchi will ask the Identity team for an admin console banner when consent is missing, and Renata will publish a help article today.
""")

SUM_TRAIN.append(r"""
Q: who approved it?
D:
Subject: Approved: exception for business class
From: Gabriel Moreau
To: Lena Okoro, Travel Desk

Travel Desk, I approve a business class exception for Lena Okoro's trip from Berlin to Tokyo on October 14 for the search relevance workshop. The overnight flight lands at 7am and she presents at 10am the same day, so she needs to rest on the plane. The fare difference is $2,100 and comes from the Search Infra travel budget. This approval is for this trip only.
Gabriel
S: Gabriel Moreau, VP of Engineering, approved the one-time business class exception for Lena Okoro's October 14 Berlin–Tokyo flight, funded from the Search Infra travel budget.
----
D:
Team update: People Ops, June
Hiring: 29 people joined in June, including 18 interns.
Engagement survey: 81% participation; engagement score 74, down 2 points. The lowest score is "I understand how decisions are made", at 58.
Benefits: the new mental health benefit launched June 1; 140 employees have used it so far.
Coming up: manager training on giving feedback in July, and the survey action plans are due from every department head by July 31.
S: People Ops reported 29 June joiners including 18 interns, an engagement score of 74 (down 2) with decision transparency lowest at 58, 140 users of the new mental health benefit, and department survey action plans due July 31.
----
D:
#release-train
Pablo: web release 4.15 is cut. 47 PRs, two feature flags turned on: saved search alerts v2 and new sharing dialog
Lina: QA found a regression, the sharing dialog drops guest users from the list again
Ethan: that's my change, reverting the dialog flag for now
Pablo: ok, 4.15 goes out with saved search alerts v2 only. sharing dialog waits for 4.16
Lina: running the smoke tests again, ETA 30 min
S: Web release 4.15 was cut with 47 PRs, but QA found the new sharing dialog again drops guest users, so Ethan disabled that flag; 4.15 ships with saved search alerts v2 only, and the dialog moves to 4.16 after smoke tests.
----
D:
Product requirements excerpt: mobile folder pinning
Problem: field workers, such as plant supervisors at Hollis Manufacturing, need whole sets of documents offline. Pinning files one at a time doesn't scale: a safety binder can be 80 files.
Requirements: users can pin a folder from Drive, SharePoint or Box; new files added to a pinned folder download automatically on Wi-Fi; total offline storage is capped at 2 GB per device and single files at 50 MB. Admins can disable folder pinning for their workspace.
Success metric: 30% of offline mode users pin at least one folder within a month of launch.
S: The folder pinning requirements let mobile users pin Drive, SharePoint or Box folders offline, auto-downloading new files on Wi-Fi within a 2 GB device and 50 MB file cap, with an admin off switch and a 30% one-month adoption goal.
----
D:
Subject: Concerns about the new office days
From: Reuben Clarke
To: Katie Morgan

Hi Katie, I'm on the Support team in London and the new schedule puts us in with Sales on Monday and Thursday. Our team works shifts, and half of us start at 7am to cover APAC customers, when the office isn't open yet. Could the office open at 6:45 on our days, or could Support choose its own days? We're happy to work from the office, it just needs to fit the shifts.
Thanks, Reuben
S: Reuben Clarke asked Katie Morgan whether the London office could open at 6:45 on Support's assigned days, or Support could pick its own, because half the shift-based team starts at 7am to cover APAC customers.
----
Q: what happened to the sharing dialog?
D:
#release-train
Pablo: web release 4.16 is cut. the new sharing dialog is back in, with a fix for guest users
Lina: guest users show up correctly now, tested with 3 guest-heavy workspaces
Ethan: also added a test for it so it doesn't regress a third time
Pablo: 4.16 rolls out tomorrow at 10:00 UTC, 25% first, then everyone after 4 hours
Lina: smoke tests green
S: The new sharing dialog returned in web release 4.16 with a guest users fix that Lina verified and Ethan covered with a regression test; it rolls out tomorrow at 10:00 UTC, to 25% first.
----
D:
Design doc excerpt: Answer citations
When AI answers respond to a question, users need to see where the answer came from. Today we show up to three source links below the answer.
Proposal: inline citations after each sentence, linking to the exact passage in the source document. If a sentence has no supporting passage, we don't show it. Each answer can cite at most five documents, and only documents the user can open.
Metric: the share of answers where users click a citation, and the "answer was wrong" report rate, currently 3.1%.
Open question: how to cite spreadsheets, where a passage is a cell range.
S: The proposal replaces source links under AI answers with inline citations per sentence, linking to exact passages in up to five accessible documents and dropping unsupported sentences, measured by citation clicks and the 3.1% wrong-answer rate; spreadsheet citations remain open.
----
D:
Account plan: Castellan Insurance
Owner: Hannah Stein
Situation: 2,800 seats, renewal in March. Relationship strained after SEC-221, when Claims documents were visible to the wrong group for a day. Their CISO, Miriam Vance, now reviews every new feature before it's enabled.
Goals: restore trust by December; expand to their 900-person broker network in Q1.
Plan: monthly security reviews with Miriam; give them early access to admin permission reports; propose the Compliance add-on with audit log export.
Risks: competitor pitching a bundled suite to their CIO.
S: Hannah Stein's plan for Castellan Insurance (2,800 seats, March renewal) aims to rebuild trust damaged by SEC-221 through monthly security reviews with CISO Miriam Vance and early permission reports, then expand to 900 brokers in Q1.
----
D:
#proj-marigold
Isabel: beta partners confirmed: Sunfield, Redfern, Hollis, Kinetic Freight and Pinehurst
Zoe: backend is on track. scheduler done, reminders working in staging
Ethan: frontend is a week behind, the approval timeline component was harder than expected
Isabel: can we cut anything?
Ethan: bulk approve. nobody in the partner interviews asked for it
Isabel: cut it. beta date stays September 16
S: Marigold's five beta partners are confirmed; backend is on track with the scheduler working in staging, and although frontend is a week behind, cutting bulk approve keeps the September 16 beta date.
----
Q: which partners are in the beta?
D:
#proj-marigold
Isabel: beta partners confirmed: Sunfield, Redfern, Hollis, Kinetic Freight and Pinehurst
Zoe: backend is on track. scheduler done, reminders working in staging
Ethan: frontend is a week behind, the approval timeline component was harder than expected
Isabel: can we cut anything?
Ethan: bulk approve. nobody in the partner interviews asked for it
Isabel: cut it. beta date stays September 16
S: The Marigold beta partners are Sunfield, Redfern, Hollis, Kinetic Freight and Pinehurst, starting September 16.
----
D:
Policy: conflicts of interest
Tell People Ops and your manager if you, or a close family member, have a financial interest in a customer, vendor or competitor, or if you hire or manage a relative. You must not take part in buying decisions involving a company where you have such an interest. Outside jobs and board positions need approval from your VP, and are not allowed with competitors. Disclosures are confidential and reviewed by Legal each year.
S: Employees must disclose to People Ops and their manager any personal or family financial interest in a customer, vendor or competitor or managing a relative, stay out of related buying decisions, and get VP approval for outside jobs, never with competitors.
----
D:
Weekly update: Quillon Media migration
From: Samuel Achebe
Cutover happened on June 21 as planned. All 1.1 million pages are migrated, including the archive, after we raised their import rate limit to 60,000 pages an hour. The HR space passed its privacy review and was migrated last, with access limited to HR. First-week usage: 3,900 of 4,200 employees searched at least once. Two issues open: broken links in old archive articles (fixing with a redirect map) and slow previews for large scanned PDFs.
S: Quillon Media's migration cut over on June 21 with all 1.1 million pages moved after the import limit rose to 60,000 pages an hour; 3,900 of 4,200 employees searched in week one, with broken archive links and slow scanned-PDF previews still open.
----
Q: what did the team agree on?
D:
On-call health review, Search Infra
Omar: Pages per week averaged 19 this quarter, up from 11. People are tired.
Aisha: Half the pages are the indexing lag alert, which fires during every bulk import.
Wei: Then the alert should ignore lag caused by a single tenant's bulk import once quotas are live.
Omar: Quotas are done next sprint. Until then?
Aisha: Raise the threshold from 5 to 15 minutes during business hours.
Omar: Agreed. And we add a third person to the rotation: Priscilla joins in August.
S: The team agreed to raise the indexing lag alert threshold from 5 to 15 minutes during business hours until per-tenant quotas ship next sprint, after which single-tenant bulk imports are ignored, and to add Priscilla to the rotation in August.
----
D:
From: Emeka Nwachukwu
To: Lucía Ferrer
Subject: Churn model for CS

Lucía, the new churn model is ready for Customer Success. It predicts churn 90 days before renewal with 0.81 AUC. The strongest signals are: fewer than three connected apps, a drop in weekly active users of more than 20% over a month, and the loss of the admin who bought the product. Each account gets a weekly score in Salesforce. We'd like to test it with Felipe's team for one quarter before using it in forecasts.
Emeka
S: Emeka Nwachukwu told Lucía the churn model predicts churn 90 days before renewal with 0.81 AUC, driven by few connected apps, WAU drops over 20% and losing the buying admin; it posts weekly Salesforce scores and will be trialed with Felipe's team for a quarter.
----
D:
Announcement: mental health benefit
From June 1, all employees and their dependents have free access to Lyra, a mental health service. It includes up to 16 therapy or coaching sessions per person per year, video or in person, in 40 languages. Use is confidential: Corvel only receives anonymous totals. Sign up with your work email at corvel.lyrahealth.com. This replaces the old employee assistance program, which ends on May 31.
S: From June 1, employees and dependents get free, confidential access to Lyra with up to 16 therapy or coaching sessions a year in 40 languages, replacing the employee assistance program that ends May 31.
----
D:
Customer call notes: Kinetic Freight, July 2
Attendees: Yusra Haddad (IT manager, Kinetic), Tom Becker, Zoe Patel
Kinetic uses Corvel for 1,600 staff across 14 depots. They joined the Marigold beta to replace email chains for delivery exception approvals.
Yusra's requests: approvals from mobile, since depot managers don't use laptops, and the ability to attach photos of damaged goods.
Zoe: mobile approval is planned for the beta; photo attachments aren't, but she'll check the effort.
Tom raised the renewal in October; Yusra expects a 10% budget increase for tools.
S: Kinetic Freight's Yusra Haddad wants Marigold approvals on mobile, which Zoe said is planned for the beta, and photo attachments, which she'll estimate; Tom discussed the October renewal, for which Kinetic expects a 10% larger tools budget.
----
D:
#it-announcements
Haruka: Okta will require phishing-resistant MFA for admins from August 1
Haruka: if you have admin access to any system (AWS, Google Workspace, Salesforce, GitHub org), you need a YubiKey or Touch ID registered in Okta
Haruka: YubiKeys can be picked up from IT in every office or shipped to remote staff, request in the IT portal
Olu: what happens if I don't?
Haruka: admin access is suspended until you register, normal access isn't affected
S: Haruka announced that from August 1 anyone with admin access to systems like AWS, Google Workspace, Salesforce or GitHub must register a YubiKey or Touch ID in Okta, or their admin access is suspended; YubiKeys are available from IT.
""")

SUM_TRAIN.append(r"""
Q: what are the next steps?
D:
Customer call notes: Sunfield Credit Union, July 9
Attendees: Victor Almeida (Sunfield), Hannah Stein, Lucía Ferrer
Victor said staff now trust search for policy documents since the SharePoint fix. He wants to use AI answers for member-facing staff but the board requires a risk assessment first.
Lucía offered the AI answers data sheet and the model evaluation summary.
Victor also asked for Marigold approvals to handle loan document sign-off; Sunfield is already a beta partner.
Next steps: Hannah sends the data sheet and evaluation summary this week; Victor presents the risk assessment to his board on August 20; Lucía joins a call after that.
S: Hannah sends Sunfield the AI answers data sheet and evaluation summary this week, Victor Almeida presents a risk assessment to his board on August 20, and Lucía joins a follow-up call afterwards.
----
D:
Postmortem: INC-861, duplicate invoices (July 1)
Impact: 312 customers received two copies of their July invoice email. No customer was charged twice.
Cause: the Helix migration in eu-central restarted the billing batch job at 09:00. The job had already sent half the invoice emails, and on restart it didn't check which were sent, so it sent them all again.
Detection: a customer tweeted at 09:50; Support raised it at 10:05.
Actions: make invoice email sending idempotent (Zainab, July 12); schedule infrastructure changes outside billing windows, with a shared calendar (Sigrid); Support sends an apology note to affected customers today (Renata).
S: On July 1, a Helix-related restart of the eu-central billing batch job resent invoice emails to 312 customers without double charging; Zainab makes sending idempotent by July 12, Sigrid adds a billing-window calendar, and Renata sends apologies.
----
D:
Subject: Proposal: no-meeting Wednesdays
From: Priya Natarajan
To: Search org

Hi all, many of you said in the engagement survey that you don't get enough time to focus. From July 17, let's try no internal meetings on Wednesdays across the Search org. Customer calls and incidents are exceptions. Standups become written updates in Slack on Wednesdays. We'll try it for 8 weeks and then decide together whether to keep it, based on a short survey and how much we ship.
Priya
S: Priya Natarajan proposed an 8-week trial of no internal meetings on Wednesdays for the Search org from July 17, except customer calls and incidents, with written standups, followed by a survey-based decision on keeping it.
----
D:
#legal-requests
Tom: customer wants us to sign their own DPA instead of ours. they're a hospital group, 900 seats
Rosa: which country?
Tom: Netherlands
Rosa: send it over. usually fine if it's based on the standard contractual clauses. red flags are unlimited liability and audit rights on short notice
Tom: they mentioned onsite audits
Rosa: we offer our SOC 2 report and one remote audit a year. onsite only at their cost with 60 days' notice
S: Rosa asked Tom to send a Dutch hospital group's own DPA for their 900-seat deal, warning about unlimited liability and short-notice audits; Corvel offers its SOC 2 report and one remote audit a year, onsite only at the customer's cost with 60 days' notice.
----
Q: what did the experiment show?
D:
Experiment readout: personalized autocomplete
Owner: Wei Zhang
Setup: 50% of users got suggestions that include titles of documents they recently opened or edited; the control group got popular queries only. Ran for 3 weeks, 380,000 users.
Results: suggestion acceptance rose from 9.1% to 14.2%. Time to first click fell by 0.8 seconds. No change in searches per user.
Privacy check: suggestions only use documents the user can still access, rechecked at query time.
Recommendation: roll out to all users in 4.17.
S: Personalized autocomplete raised suggestion acceptance from 9.1% to 14.2% and cut time to first click by 0.8 seconds across 380,000 users over three weeks, without changing searches per user, so Wei recommends rolling it out in 4.17.
----
D:
Policy: expense approvals
Expenses are approved by your direct manager in Concur. Reports over $2,500, or any single item over $1,000, also need your director. Client entertainment over $75 per person needs director approval regardless of the total. Managers can't approve their own expenses or expenses for trips they attended with the submitter; these go to the next manager up. Approvers have 5 business days to act, after which the report is escalated automatically. Finance audits a random 5% of reports each month.
S: Managers approve expenses in Concur, with directors also approving reports over $2,500, items over $1,000 and client entertainment over $75 per person; shared-trip expenses go up a level, approvals escalate after 5 days, and Finance audits 5%.
----
D:
From: Miriam Vance (Castellan Insurance, CISO)
To: Hannah Stein
Subject: August security review

Hannah, thanks for the permission report preview, it's exactly what we needed. For the August review I'd like to cover three items: the SEC-221 fix and how you test it, your plan for audit log export, and whether AI answers can be limited to specific groups. If the answers are good, I'm willing to recommend re-enabling AI answers for our underwriting team, about 300 people.
Miriam
S: Castellan Insurance's CISO Miriam Vance praised the permission report preview and asked Hannah Stein to cover the SEC-221 fix testing, audit log export plans and group-limited AI answers in August, possibly re-enabling AI answers for 300 underwriters.
----
D:
#hr-questions
Leila: can I take my PTO in half days?
Sinéad: yes, Workday lets you pick half days
Leila: and if I'm sick during a vacation?
Sinéad: tell your manager the same day and send a doctor's note, then those days count as sick leave and your PTO is returned
Leila: nice, didn't know that
Sinéad: it's in the PTO policy on the People wiki, section 4, if you want the details
S: Sinéad told Leila that PTO can be taken in half days in Workday, and that illness during vacation counts as sick leave with the PTO returned, if she tells her manager the same day and sends a doctor's note.
----
D:
Status update: SOC 2 Type II audit
Auditor: Harlow & Pike. Fieldwork: August 19 to September 6.
Ready: access reviews for Q1 and Q2 (Beatrix, Kwame), change management samples from Tracker, and Tamarack deletion logs since July 15.
Not ready: backup restore tests. Only two of four quarterly tests were documented. Darius will run and document a restore test for Postgres and the search index by August 9.
Training: 94% of employees completed security awareness; managers of the remaining 6% got reminders.
Coordinator: Nadia Benali.
S: SOC 2 fieldwork with Harlow & Pike runs August 19 to September 6; access reviews, change samples and Tamarack logs are ready, but Darius must document missing backup restore tests by August 9, and training completion is 94%.
----
Q: what is missing?
D:
Status update: SOC 2 Type II audit
Auditor: Harlow & Pike. Fieldwork: August 19 to September 6.
Ready: access reviews for Q1 and Q2 (Beatrix, Kwame), change management samples from Tracker, and Tamarack deletion logs since July 15.
Not ready: backup restore tests. Only two of four quarterly tests were documented. Darius will run and document a restore test for Postgres and the search index by August 9.
Training: 94% of employees completed security awareness; managers of the remaining 6% got reminders.
Coordinator: Nadia Benali.
S: Backup restore test evidence is missing, with only two of four quarterly tests documented, so Darius will run and document Postgres and search index restores by August 9.
----
D:
Meeting notes: Redfern Schools expansion
Attendees: Imogen Clarke (Redfern), Tomás Ibarra, Tom Becker
Redfern wants to add 25 more schools in January, bringing the total to 65. Budget is fixed, so they asked for education pricing on the new schools.
Tom offered $6 per seat instead of $8 if they sign a 3-year term for all 65 schools.
Imogen also asked whether students can be excluded from indexing, since student records must stay in a separate system.
Tomás confirmed that connector filters can exclude the student information system.
Imogen will take the offer to their finance committee on September 12.
S: Redfern Schools wants to add 25 schools in January (65 total); Tom offered $6 per seat instead of $8 for a 3-year term covering all schools, Tomás confirmed student records can be excluded, and Imogen takes it to finance on September 12.
----
D:
#eng-leads
Gabriel: we need to cut 10% from the H2 engineering budget, not headcount
Sigrid: cloud: reserved instances and Postgres 16 give about $340k for the half
Pablo: tooling: dropping Calder seats and the old Jenkins hardware, ~$90k
Lena: conferences: we could send 2 people per conference instead of 4
Gabriel: that's $430k plus travel. we need $600k total. anyone else?
Ines: observability renewal at the lower log volume, ~$75k for H2
Gabriel: ok, close enough with travel cuts. I'll write it up for Ingrid
S: Asked to cut 10% ($600k) of H2 engineering budget without layoffs, leads found about $340k in cloud savings, $90k in tooling, $75k from the observability renewal and fewer conference attendees; Gabriel will write it up for Ingrid.
----
D:
Help center article: Excluding content from search
Admins can keep content out of Corvel search in three ways. Connector filters exclude whole sources, such as a folder, site or channel, and nothing from them is indexed. Labels exclude individual documents: add the "corvel-exclude" label in the source system and the document is removed at the next sync. Sensitive content detection hides documents that look like they contain passwords or card numbers, and notifies the admin. Excluded content is deleted from our index within 24 hours.
S: Admins can keep content out of Corvel search with connector filters for whole sources, a "corvel-exclude" label for individual documents, or sensitive content detection for passwords and card numbers, and excluded content leaves the index within 24 hours.
----
Q: how quickly is excluded content removed?
D:
Help center article: Excluding content from search
Admins can keep content out of Corvel search in three ways. Connector filters exclude whole sources, such as a folder, site or channel, and nothing from them is indexed. Labels exclude individual documents: add the "corvel-exclude" label in the source system and the document is removed at the next sync. Sensitive content detection hides documents that look like they contain passwords or card numbers, and notifies the admin. Excluded content is deleted from our index within 24 hours.
S: Excluded content is deleted from Corvel's index within 24 hours; documents labeled "corvel-exclude" are removed at the next sync.
""")

SUM_TRAIN.append(r"""
Q: why did the numbers change?
D:
Analytics note: WAU drop in week 27
Weekly active users fell from 1.44M to 1.29M in week 27 (-10%). This is mostly seasonal: July 4 fell in that week and US usage dropped 19%, while EMEA was down only 3%. Part of the drop (about 30,000 users) is also a tracking change: the mobile app stopped sending background refresh events as activity in 6.4, which was a bug fixed in the definition, not a real loss. Adjusted for both, WAU is flat. Ravi will add a holiday annotation to the dashboard.
S: The week 27 WAU drop from 1.44M to 1.29M came mainly from the July 4 holiday cutting US usage 19%, plus about 30,000 users no longer counted after mobile 6.4 stopped treating background refreshes as activity.
----
Q: what does the candidate need to do before starting?
D:
Subject: Your offer from Corvel
From: Talent Acquisition
To: Priscilla Owusu

Dear Priscilla, we're delighted to offer you the role of Staff ML Engineer on the Search Infra team, reporting to Lena Okoro. Your start date is August 5. Before then, please sign the offer in DocuSign by July 12, complete the background check invitation from our provider within 5 days, and send us your shipping address in Accra for your laptop. You'll receive your Okta login on August 1. We're looking forward to working with you!
S: Before starting on August 5, Priscilla must sign the offer in DocuSign by July 12, complete the background check within 5 days of the invitation, and send her Accra shipping address for her laptop.
----
Q: how did the rollout go?
D:
#proj-kestrel
Dana: Kestrel at 100% since Monday 10:00
Marcus: payments error rate steady at 0.15%. refunds working in all 9 currencies
Keisha: Android and iOS crash rates at baseline. the CHF receipt fix went out in patch 2
Lina: support had 14 tickets about the new refund flow, mostly people asking where the button moved
Dana: let's add a tooltip in the next release. great work everyone, Kestrel is officially launched
S: Kestrel's rollout to 100% went smoothly: payments errors stayed at 0.15%, refunds work in all nine currencies, crash rates are at baseline, and the only issue was 14 tickets about the moved refund button.
----
D:
Design doc excerpt: Search query logging retention
Search queries are stored with the user ID for 400 days to power personalization and debugging. Privacy review asked whether we need that long.
Analysis: personalization only uses the last 90 days. Debugging almost never needs more than 30 days. Analytics uses aggregates, which don't need user IDs.
Proposal: keep queries with user IDs for 90 days, then remove the user ID and keep the anonymized query for 400 days. Tamarack enforces both rules.
Impact: no measurable effect on autocomplete quality in offline tests.
S: The proposal cuts retention of search queries with user IDs from 400 to 90 days, since personalization uses 90 days and debugging 30, then keeps anonymized queries for 400 days under Tamarack, with no measurable autocomplete impact.
----
Q: when will users see the change?
D:
Subject: Sharing links update
From: Ethan Caldwell

Hi all, the migration of sharing links to random tokens finished last night. All 3.4 million existing links were converted. Old links keep working for 90 days by redirecting to the new format, so nothing breaks for customers. After October 7, old-format links return a "link expired" page with a button to request access. The Halyard team will mention this in the launch notes, and the help center article is updated.
Ethan
S: Users will see nothing change until October 7: old sharing links redirect to the new random-token format for 90 days, after which they show a "link expired" page with an access request button.
----
Q: who is paying for the trip?
D:
#help-travel
Amara: I'm speaking at a data conference in Amsterdam, they're covering my hotel. can I book flights through Navan?
Travel desk: yes. since the hotel is covered, just book flights and note "speaker, hotel paid by organizer" in the trip purpose
Amara: does it come from the learning budget?
Travel desk: no, conference travel comes from your team's travel budget. the ticket is free for speakers anyway
Amara: perfect, thanks
S: The conference organizer pays Amara's Amsterdam hotel and her speaker ticket is free, while her flights, booked through Navan, come from her team's travel budget rather than the learning budget.
----
D:
Status update: accessibility improvements
After the external audit found 37 issues, we've fixed 29. All 8 critical issues are fixed, including keyboard traps in the sharing dialog and missing labels in the date picker. Remaining issues are contrast problems in charts and focus order in the admin console, planned for August. We're also adding automated accessibility checks to CI, which catch about 40% of issues before review. A re-audit is booked for October so we can publish a conformance report, which several RFPs ask for.
S: Corvel has fixed 29 of 37 accessibility audit issues, including all 8 critical ones, with chart contrast and admin console focus order due in August; CI accessibility checks are being added, and an October re-audit should enable a conformance report.
----
Q: what should managers do?
D:
From: Sinéad Walsh
To: EMEA managers
Subject: Engagement survey action plans

Hi all, survey results for your teams are now in the People dashboard. Our lowest score across EMEA was "I understand how decisions are made", at 55. Please share your team's results with them in your next team meeting and agree one or two actions together. Write them in the action plan form by July 31. I'm holding drop-in sessions on July 10 and 17 if you'd like help reading the results.
Sinéad
S: Managers should share their team's engagement survey results at the next team meeting, agree one or two actions with the team, and submit them in the action plan form by July 31, with optional help at Sinéad's July 10 and 17 drop-ins.
----
D:
Ticket #54871, Kinetic Freight
From: Yusra Haddad
"Depot managers can approve Marigold requests on the mobile app, but photos attached in the web app don't show on mobile. They need to see the damage before approving."
Agent notes (Oluchi): Photo attachments are a beta feature added last week for web only; mobile support is planned. Confirmed with Zoe Patel: mobile viewing of attachments ships in mobile 6.6, expected August 26. Workaround: open the request link in the mobile browser, where photos display.
S: Kinetic Freight depot managers can't see Marigold photo attachments in the mobile app because attachments are web-only in beta; Zoe Patel confirmed mobile support ships in 6.6 around August 26, and Oluchi suggested opening requests in the mobile browser meanwhile.
----
Q: is the office open on the day?
D:
Announcement: Pune office, Diwali
The Pune office will be closed from November 1 to 3 for Diwali and reopens on Monday, November 4. Support coverage for APAC customers during the closure moves to the Sydney team and an on-call rotation of volunteers from Pune, who receive a day of leave in lieu for each day worked. The Diwali celebration in the office is on October 30 from 4pm, with sweets, rangoli and a lamp-lighting ceremony; families are welcome.
S: No, the Pune office is closed November 1 to 3 for Diwali and reopens November 4; the office celebration happens earlier, on October 30 from 4pm.
----
D:
#data-eng
Nikolai: Airflow upgrade to 2.9 is done in staging
Nikolai: 3 DAGs broke because of deprecated operators, fixed. scheduler bug from last quarter is gone in 2.9, so Amara's manual patch can be removed
Amara: I'll remove it after prod upgrade
Svetlana: when is prod?
Nikolai: October 2, early morning, 30 minutes of paused scheduling
Svetlana: ok, announce it in #data-consumers a week before
S: Nikolai upgraded Airflow to 2.9 in staging, fixing three DAGs with deprecated operators and the old scheduler bug; production upgrades October 2 with 30 minutes of paused scheduling, announced a week ahead, after which Amara removes her manual patch.
----
Q: what did Finance approve?
D:
Subject: Re: Figma seats
From: Kwame Mensah

Yara, approved for 15 additional Editor seats now, not 25. IT's license audit freed 14 seats that can go to the new designers, so 15 more covers the PMs. If you need the remaining 10 after the Q3 hiring, send a new request in October with the names. Total added cost: $8,100 a year. Please coordinate with IT so the freed seats are reassigned first.
Kwame
S: Kwame Mensah approved 15 additional Figma Editor seats, $8,100 a year, instead of the 25 requested, since IT's audit freed 14 seats; the other 10 can be requested in October with names.
----
D:
Meeting notes: customer summit planning
Attendees: Claire Dubois, Ada Lindqvist, Felipe Ortega
Date and place: November 13 in Chicago, 250 customers expected.
Keynote: Martin, followed by the semantic search and Marigold roadmap from Lucía and Isabel.
Customer speakers confirmed: Dr. Alvarez (Summit Ridge University) and Reggie Moss (Hollis Manufacturing). Still asking Okafor Health.
Budget: $210,000, with sponsorship from two partners covering about a third.
Ada will open registration on August 19.
S: The customer summit is planned for November 13 in Chicago for 250 customers, with Martin's keynote, roadmap talks from Lucía and Isabel, speakers from Summit Ridge and Hollis, and a $210,000 budget; Ada opens registration August 19.
----
Q: what is changing for on-call?
D:
Subject: On-call changes from September
From: Rahul Menon

Hi all, based on the on-call health survey, three changes from September 1. Primary shifts go from 7 days to 3.5 days, split Monday and Thursday. The weekly stipend stays the same per week on call, so it's prorated. Any engineer paged more than 3 times between midnight and 7am in a shift gets the next morning off. And each team must review its noisiest alert every two weeks.
Rahul
S: From September 1, primary on-call shifts shrink from 7 to 3.5 days with a prorated stipend, engineers paged over three times overnight get the next morning off, and teams review their noisiest alert every two weeks.
----
D:
#growth
Lina: invite-your-admin flow results: for non-admins who hit the Microsoft consent screen, completion of "connect your first app" went from 41% to 63%
Jonas: huge. how long did admins take to approve?
Lina: median 6 hours, 70% within a day
Jonas: ship it to everyone, and let's add a reminder email to the admin after 24h
Lina: on it, should be live next week
S: The invite-your-admin flow raised "connect your first app" completion for non-admins facing Microsoft consent from 41% to 63%, with admins approving in a median of 6 hours; Jonas is shipping it to everyone with a 24-hour admin reminder.
----
Q: what caused the delay?
D:
Subject: Osprey launch update
From: Mira Kapoor

Team, Osprey launched today, August 7. The Outlook add-in passed Microsoft's review on July 31 after we fixed the broken privacy policy links, which is why we moved from July 24. The press embargo lifted at 8am ET and we have coverage in two trade publications. In the first four hours, 340 workspaces installed the add-in. Please send customer feedback to #osprey-launch.
Mira
S: Osprey moved from July 24 to its August 7 launch because Microsoft's store review had rejected the Outlook add-in over broken privacy policy links; it passed review on July 31.
""")

SUM_TRAIN.append(r"""
D:
Subject: Parking changes at the Dublin office
From: Ciara Byrne

Hi all, the building management is reducing our parking spaces from 60 to 40 from September 1, as part of their bike storage expansion. Spaces will be booked through the desk booking app, up to a week ahead, instead of first come first served. Ten spaces are reserved for people with accessibility needs, parents in the first year back from leave, and visitors. The new bike room has 80 spaces and showers. The company also covers the Bike to Work scheme if you want to buy a bike.
Ciara
S: Ciara Byrne announced Dublin parking drops from 60 to 40 spaces on September 1, bookable a week ahead in the desk app with 10 reserved for accessibility needs, returning parents and visitors, while a new 80-space bike room with showers opens.
----
D:
Architecture review: answer citations
Lucía: We want inline citations in AI answers for GA.
Hugo: Passage-level citations mean storing passage offsets in the index. That's about 15% more index storage.
Omar: And we must check the user can still open the cited document when showing the answer, not at indexing time.
Sigrid: 15% more storage is fine in the EU, tight in us-east until the new nodes arrive in October.
Decision: citations ship with GA in October, enabled in us-east only after the node expansion; permission checks at answer time are required.
S: The architecture review approved inline answer citations for October GA, despite needing about 15% more index storage, with permission checks at answer time and us-east enabled only after its October node expansion.
----
D:
Weekly update: support tooling migration
Support is moving from the old ticketing tool to Zendesk. This week: all macros (212) and the help center articles were imported. Ticket history for the last 2 years will be imported on the weekend of August 17. Agents are trained in two groups, on August 12 and 14. Cutover is August 19; the old tool becomes read-only for 6 months. Risk: the Salesforce integration needs a custom field mapping, which Oluchi is testing now.
Owner: Renata Silva
S: Support's move to Zendesk imported 212 macros and the help center this week, with ticket history imported August 17, agent training August 12 and 14, and cutover August 19; Oluchi is testing the risky Salesforce field mapping.
----
D:
#random
Femi: the coffee machine on the 3rd floor in London is broken again
Katie (Workplace): engineer booked for tomorrow morning. the 4th floor one works
Femi: thank you! any chance of an oat milk option?
Katie (Workplace): yes, adding oat and soy to the weekly order from Monday, people have asked a lot
Zoe: the hero we needed
Katie (Workplace): also, the 3rd floor machine is out of warranty, so we're replacing it next month
S: Katie from Workplace said the broken 3rd-floor London coffee machine gets repaired tomorrow and replaced next month as it's out of warranty, the 4th-floor one works, and oat and soy milk arrive from Monday.
----
D:
Decision memo: customer summit location
We compared Chicago, New York and Austin for the November customer summit. Chicago had the best venue availability for November 13 and is a two-hour flight or less for 70% of our US customers. New York hotels were 40% more expensive that week. Austin was cheapest but our new office there can't host customer sessions until the move finishes. Decision: Chicago, at the Riverside Conference Center, with a room block of 180 at $249 a night. Owner: Ada Lindqvist.
S: Ada Lindqvist's memo chose Chicago's Riverside Conference Center for the November 13 customer summit, as it was available and within two hours' flight for 70% of US customers, over pricier New York and not-yet-ready Austin, with 180 rooms at $249.
----
D:
Support ticket #55120, Blue Ridge Dental Group
From: Omar Chaudhry (office manager)
"We're a small practice with 40 users. Since we upgraded to the Team plan, our Google Calendar results disappeared from search."
Agent notes (Renata): The upgrade created a new workspace plan but didn't carry over the calendar connector's OAuth token, a known issue with plan changes (BILL-912). Asked Omar to reconnect Google Calendar from the admin console. Results reappeared after 20 minutes. Added the customer to BILL-912 so we notify them when it's fixed.
S: Blue Ridge Dental Group lost Google Calendar results after upgrading to the Team plan because the plan change dropped the connector's OAuth token (BILL-912); Renata had Omar Chaudhry reconnect the calendar, restoring results in 20 minutes.
""")


# ---------------------------------------------------------------------------------------------------------------------
# Summarization, held-out (entities and situations kept apart from train)
# ---------------------------------------------------------------------------------------------------------------------
SUM_HELDOUT.append(r"""
D:
Larkspur planning, week 3
Adaeze: Larkspur replaces the legacy permissions service. Shadow traffic starts September 2.
Henrik: In shadow mode we compare every permission decision from both services. Last test showed 99.7% agreement.
Adaeze: What's the other 0.3%?
Henrik: Mostly documents shared with deleted users. Legacy allows access, Larkspur denies. Larkspur is right.
Priyanka: Connectors team needs two weeks' notice before any cutover because of cached permissions.
Adaeze: Then cutover is no earlier than October 14. Henrik, write up the 0.3% cases for Security.
S: Larkspur's shadow traffic starts September 2 after tests showed 99.7% agreement with the legacy permissions service, the gap being shares with deleted users that Larkspur correctly denies; cutover will be no earlier than October 14, and Henrik documents the differences for Security.
----
Q: how many users were affected?
D:
Postmortem: INC-903, mobile push outage (August 28)
Impact: From 02:15 to 06:40 UTC, no push notifications were delivered to Android devices. About 210,000 Android users were affected; iOS was fine.
Cause: The credentials for the push service were tied to a Google Cloud service account that was deleted during a cleanup of unused projects. No one knew the project was in use.
Resolution: Yusuf Demir restored the service account from the 30-day recovery window.
Actions: tag all cloud projects with an owner (Platform, by September 30); alert when push delivery drops below 50% of normal (Mobile).
S: About 210,000 Android users received no push notifications for roughly four and a half hours on August 28; iOS users were not affected.
----
D:
Subject: Blue Heron Foods, connector sync errors
From: Malik Johnson
To: Priyanka Iyer

Priyanka, Blue Heron Foods, our biggest Salesforce connector customer with 3,100 users, has had sync errors every afternoon this week. Their admin, Rania Aziz, says it started after they added 40 custom objects. The errors say "REQUEST_LIMIT_EXCEEDED". They're on a Salesforce plan with 100,000 API calls a day and our connector is using almost all of it. Can your team look at reducing our API usage? Their renewal is in November, so I'd like to give them an answer by Friday.
Malik
S: Malik Johnson asked Priyanka Iyer to reduce the Salesforce connector's API usage because Blue Heron Foods has hit its 100,000 daily call limit every afternoon since adding 40 custom objects; he wants an answer for Rania Aziz by Friday, ahead of November's renewal.
----
D:
Policy: relocation support
Employees who move to another Corvel office at the company's request get a relocation package: travel for the employee and family, shipping of household goods up to one 20-foot container, 30 days of temporary housing and help with visas through our immigration firm. Employees who ask to move for personal reasons can apply for a reduced package covering visa costs and one flight. Salaries are adjusted to the local pay range of the new location. If you leave Corvel within 12 months of a company-requested move, you repay half of the costs.
S: Company-requested moves include family travel, one 20-foot container of goods, 30 days of temporary housing and visa help, while personal moves get visa costs and a flight; pay adjusts to local ranges, and leaving within 12 months means repaying half.
----
D:
#proj-quarry
Henrik: round 4 load test done. 11k req/s sustained, p99 210ms
Henrik: the connection pool fix worked, metadata db stays at 45% connections
Camille: what's the next bottleneck?
Henrik: CPU on the ranking workers at about 14k req/s. we'd need 4 more workers for the 20k target
Camille: 20k is the peak we expect at end of year. order them now?
Henrik: yes, lead time is 3 weeks
Camille: ok, I'll put in the request today
S: Quarry's fourth load test sustained 11k requests/s at 210 ms p99 after the connection pool fix; ranking worker CPU becomes the bottleneck around 14k, so Camille is ordering four more workers today to reach the 20k year-end peak target.
----
D:
Customer call notes: Ravenmoor Pharma, September 3
Attendees: Elif Yilmaz (Ravenmoor, compliance lead), Malik Johnson, Rafael Quintero
Ravenmoor wants to use Corvel in its research labs, but lab notebooks contain data under GxP rules. Elif asked whether Corvel can provide validation documentation for computer systems used in regulated work.
Rafael explained that Corvel isn't validated for GxP today, but that lab notebooks could be excluded from indexing while the rest of the research intranet is searchable.
Elif will check with their quality team whether that's acceptable.
Next: Malik sends the data processing addendum and the exclusion guide by Friday.
S: Ravenmoor Pharma's Elif Yilmaz wants Corvel in research labs but needs GxP validation, which Corvel lacks; Rafael proposed excluding lab notebooks from indexing, Elif will consult her quality team, and Malik sends the addendum and exclusion guide by Friday.
----
Q: what is the new process?
D:
Subject: Changes to laptop returns
From: IT Operations

When someone leaves Corvel, their laptop must now be returned within 10 days of their last day. Office-based leavers hand it to IT on their last day. Remote leavers receive a prepaid shipping box within 2 days of their notice being recorded in Workday. Managers get an alert if a laptop isn't back after 10 days, and after 30 days the device is locked and reported as lost. Previously there was no deadline, and 23 laptops were never returned last year.
S: Leavers must return laptops within 10 days of their last day, handing them to IT if office-based or using a prepaid box sent within 2 days if remote; managers are alerted after 10 days, and devices are locked as lost after 30.
----
D:
Interview debrief: Engineering Manager, Identity
Candidate: Gustavo Pereira
Adaeze: He's managed a team of 8 on authentication at a fintech. Good stories about growing senior engineers.
Henrik: Technical depth on OAuth and SCIM was solid. He knew the SCIM group edge cases we hit last year.
Wanjiru: His answer on underperformance was vague. He moved someone to another team rather than dealing with it.
Adaeze: I asked a follow-up and he said he'd handle it differently now, with a clear plan and dates.
Decision: hire. Wanjiru's concern goes into the onboarding plan, with coaching in his first quarter.
S: The panel decided to hire Gustavo Pereira as Identity engineering manager for his team-growing record and strong OAuth and SCIM depth, adding coaching on handling underperformance, Wanjiru's concern, to his first-quarter onboarding.
----
D:
Release notes, 5.2 (September 16)
New: Meeting briefs. Before a calendar event, Corvel can show a short brief with related documents, recent emails with attendees and open tickets. Off by default; admins enable it per workspace.
New: Search in 12 more languages, including Polish, Turkish and Vietnamese.
Improved: Results from Jira now show status and assignee.
Fixed: Admin usage reports sometimes counted deleted users.
Fixed: Slow search on workspaces with more than 5 million documents.
S: Release 5.2 (September 16) adds admin-enabled meeting briefs combining related documents, emails and tickets, search in 12 more languages, and Jira status and assignee in results, and fixes deleted users in usage reports and slow search on very large workspaces.
----
D:
#facilities-warsaw
Piotr: the new office at Prosta 20 is ready. first day is Monday September 16
Piotr: badges are at reception on floor 7, bring ID. desks are unassigned, teams have neighbourhoods on the floor plan
Lars: is there bike parking?
Piotr: yes, 30 spaces in the garage, plus lockers and showers on floor 7
Hana: what about the old office keys?
Piotr: drop them in the box at reception by September 20
S: Piotr announced the new Warsaw office at Prosta 20 opens Monday September 16, with badges at floor 7 reception, team neighbourhoods instead of assigned desks and 30 garage bike spaces with showers; old office keys go in the reception box by September 20.
----
Q: why did they leave?
D:
Win/loss review: Greystone Capital
Outcome: lost to a competitor, 1,800 seats, about $540k over three years.
Greystone liked our search quality and connectors; they ranked us first on user testing.
Reasons for loss: the competitor bundled search with their existing collaboration suite at a lower total price, and Greystone's procurement wanted fewer vendors. Our security review also took five weeks because we didn't have a completed financial services questionnaire on file.
Lessons: prepare industry questionnaires in advance; get to the CFO earlier on total cost.
Owner: Callum Fraser
S: Greystone Capital chose a competitor that bundled search into its existing collaboration suite at a lower total price, matching procurement's wish for fewer vendors, and Corvel's five-week security review also hurt, despite top user-testing scores.
----
D:
Subject: Request for data deletion
From: Bridget O'Neill (Calloway Legal)
To: privacy@corvel.io

Hello, one of our former partners, who left the firm in July, has asked us to delete all personal data about him, under GDPR. Calloway Legal is the controller. We've removed his account from our identity provider. Could you confirm that Corvel deletes his user profile, search history and any cached copies of documents he created from your index? Documents he created that belong to the firm should stay searchable for other users. Please reply within two weeks.
Bridget
S: Bridget O'Neill of Calloway Legal asked Corvel, as processor, to confirm within two weeks the deletion of a former partner's profile, search history and cached data under GDPR, while keeping the firm's documents he created searchable for others.
----
D:
Tidewater status update, September
Goal: move document previews from the old renderer to a new rendering service.
Progress: PDFs, Word and PowerPoint now render in the new service for 40% of traffic. Average preview time fell from 2.3 to 0.9 seconds.
Problems: large Excel files with many sheets time out, and fonts are missing for some Asian languages.
Next: add the Noto font set (Yusuf, this week); for Excel, render only the first 3 sheets and load others on demand (Camille). 100% of traffic by October 31.
S: Tidewater now serves 40% of previews, cutting average preview time from 2.3 to 0.9 seconds; Yusuf adds Noto fonts for missing Asian scripts and Camille renders only three Excel sheets upfront, aiming for full traffic by October 31.
----
D:
#people-ops
Esther: my team wants to do volunteering together, do we get time for that?
Maeve: yes, everyone gets 2 paid volunteering days a year
Esther: can we use them as a group on the same day?
Maeve: sure. pick a registered charity, tell me the date, and log it in Workday as "Volunteering"
Esther: is there a budget for transport?
Maeve: up to $25 per person, expensed under "Community"
S: Maeve told Esther that employees get 2 paid volunteering days a year, usable as a team on the same day with a registered charity, logged in Workday as "Volunteering", with transport up to $25 per person under "Community".
----
Q: what is the customer asking for?
D:
Ticket #61205, Sunward Airlines
From: Mateo Silva (IT service manager)
"Cabin crew use shared iPads on each aircraft. When one crew member logs out and another logs in, the previous person's recent searches still appear. This is a privacy problem for us. We need recent searches cleared at logout, or a shared-device mode."
Agent notes (Bukola): Confirmed: recent searches are stored on the device, not per account. Logged as a bug (MOB-2519) and linked to the shared-device request FR-1402. Workaround: turn off recent searches in the admin console for the crew group.
S: Sunward Airlines wants recent searches cleared when crew members log out of shared iPads, or a shared-device mode, because the previous user's searches remain visible; Bukola logged MOB-2519 and suggested disabling recent searches meanwhile.
----
D:
Board pre-read excerpt: Q3 financials
Revenue for Q3 was $41.2M, up 27% year over year and 2% above plan. Gross margin reached 75.4%, helped by reserved instance savings. Operating expenses were 3% below plan because of slower hiring in Sales. Cash at the end of the quarter was $118M. Net revenue retention was 116%, slightly down from 117% because two large customers renewed flat. Fiona Gallagher expects Q4 revenue of $44 to 45M.
S: Q3 revenue was $41.2M, up 27% and 2% above plan, with 75.4% gross margin, opex 3% under plan from slower Sales hiring, $118M cash and 116% NRR; CFO Fiona Gallagher forecasts $44–45M for Q4.
----
D:
Design doc excerpt: Ember offline sync for notes
Ember lets users edit notes offline on mobile and syncs changes later. Two users can edit the same note while offline, so conflicts are possible.
Proposal: use a CRDT for note text so concurrent edits merge automatically, character by character. Titles and tags use last-writer-wins. If a note was deleted on one device and edited on another, the edit wins and the note is restored.
Storage: the CRDT history adds about 30% to note size; we compact history older than 30 days.
Author: Greta Schulz. Reviewers: Arjun Mehta, Thandiwe Dlamini.
S: Greta Schulz's Ember design merges concurrent offline note edits with a CRDT, uses last-writer-wins for titles and tags, restores notes edited after deletion elsewhere, and compacts the roughly 30% history overhead after 30 days.
----
Q: what did they decide about conflicts?
D:
Ember design review notes
Arjun: CRDT for text makes sense. My worry is deleted notes coming back. Users will think delete is broken.
Thandiwe: Agreed. Could we show the restored note with a banner, "restored because it was edited on another device"?
Greta: That's easy.
Arjun: And for titles, last-writer-wins can lose a rename silently.
Greta: Titles are short. We could keep both and show a conflict marker.
Decision: text uses CRDT; titles show a conflict marker when both changed; restored notes get a banner. Security review next week.
S: They decided note text merges with a CRDT, title conflicts show a conflict marker instead of last-writer-wins, and notes restored after a delete-edit conflict get an explanatory banner.
----
D:
Subject: Price increase, Calloway Legal
From: Sunita Rao

Hi Declan, here is the draft letter for Calloway Legal. Their renewal on August 1 moves from $26 to $27.80 per seat, a 7% increase, for 450 seats. Justification: they've had meeting briefs, two new connectors and the audit log export since they signed, and they're still below current list price of $32. I suggest offering a two-year price lock at $27.80 if they sign by July 15. Could you approve by Wednesday?
Sunita
S: Sunita Rao asked Declan to approve by Wednesday a letter raising Calloway Legal's 450 seats from $26 to $27.80 (7%) at the August 1 renewal, still below the $32 list, with a two-year price lock if they sign by July 15.
----
D:
Weekly SRE report, week 36
Availability: API 99.99%, web 99.97%, mobile backend 99.90% (push outage on August 28 counted in this week's rolling window).
Pages: 22 this week. Half came from the new ap-northeast region, where alert thresholds were copied from us-east without adjusting for lower traffic.
Capacity: Quarry workers ordered, arriving September 20.
Projects: the Postgres 16 upgrade finished for 3 of 5 clusters.
Thanks to Yusuf for the push outage recovery and Astrid for rewriting the ap-northeast alerts.
S: In week 36, availability ranged from 99.90% to 99.99%, half of 22 pages came from ap-northeast alerts copied from us-east, which Astrid rewrote, Quarry workers arrive September 20, and 3 of 5 Postgres clusters run version 16.
""")

SUM_HELDOUT.append(r"""
D:
#proj-bramble
Mei-Ling: Bramble results are final. the new snippet format raised click-through 4.2%, p < 0.01, 2.1M sessions
Rohan: any downside?
Mei-Ling: time on results page went up slightly, 0.3s. and snippets for spreadsheets look worse, they show cell soup
Rohan: can we keep the old format for spreadsheets?
Mei-Ling: yes, easy. I'd roll out to 100% with that exception
Rohan: ok, ship it next Tuesday
S: Bramble's new snippet format raised click-through 4.2% over 2.1M sessions with a slight 0.3-second increase in time on page; Mei-Ling and Rohan will roll it out to everyone next Tuesday, keeping the old format for spreadsheets.
----
D:
Policy: company cars (Germany)
Employees in Germany in field sales roles may choose a company car instead of a mobility allowance. The lease budget is €650 a month including insurance and maintenance, and electric or hybrid vehicles are required for new leases from January. Private use is allowed and taxed as a benefit in kind at 0.25% to 1% of the list price per month, depending on the vehicle type. Fuel and charging for business trips are paid with the company fuel card. Employees leaving Corvel return the car on their last working day.
S: German field sales staff can take a company car instead of a mobility allowance, with a €650 monthly lease budget, electric or hybrid required for new leases from January, taxed private use, a fuel card for business trips, and return on the last day.
----
Q: which option did they choose?
D:
Vendor evaluation: customer training platform
Candidates: LearnLoop ($38k a year, SCORM support, weak analytics), Coursewell ($52k, strong analytics and certificates, Salesforce integration), and building our own on the help center (estimated 3 engineer-months plus maintenance).
Customer Success wants certificates for admin training, and Sales wants to see which accounts completed training in Salesforce.
Decision (Wanjiru Mwangi, Callum Fraser): Coursewell, on a two-year contract. The Salesforce integration and certificates were decisive; LearnLoop would need custom work for both.
S: They chose Coursewell on a two-year contract at $52k a year, because its certificates and Salesforce integration met Customer Success and Sales needs that LearnLoop would only cover with custom work.
----
D:
Subject: Office closure, Sydney
From: Workplace APAC

Due to water damage from a burst pipe on the floor above, the Sydney office is closed from today until at least Friday. No one was hurt, and IT has confirmed that the network equipment is safe. Please work from home. If you need to collect something urgently, contact Hana Kobayashi, who can arrange supervised access tomorrow between 10:00 and 12:00. Customer meetings planned in the office should move to the WeWork on George Street, where we've booked two rooms.
S: The Sydney office is closed until at least Friday after a burst pipe caused water damage, with no injuries and network equipment safe; staff work from home, Hana Kobayashi arranges urgent collections tomorrow 10:00–12:00, and meetings move to the George Street WeWork.
----
D:
Customer call notes: Nordlys Energi, September 10
Attendees: Lars Eriksen (Nordlys, head of digital workplace), Anouk de Vries, Ifeoma Chukwu
Nordlys has 2,600 users on Corvel and is rolling out meeting briefs. Lars likes it but the unions asked whether briefs reveal who emailed whom.
Ifeoma explained that briefs only show emails the viewer already received, and admins can disable email content in briefs.
Lars wants that option on by default for Norway and a short explanation for the works council.
Next: Anouk sends a one-page explainer in Norwegian by next Thursday.
S: Nordlys Energi's Lars Eriksen wants meeting briefs' email content disabled by default in Norway after unions raised privacy concerns; Ifeoma explained briefs only show emails viewers already received, and Anouk sends a Norwegian explainer for the works council by next Thursday.
----
D:
Incident update, 14:05 UTC
Some customers cannot log in with Google. The error page says "redirect_uri_mismatch". We believe this started at 13:20 UTC after a configuration change to our login service. We're rolling the change back now. Password and SAML logins work normally. Users already logged in are not affected, and no account data has been exposed. We'll post the next update by 14:30 UTC.
S: Since a 13:20 UTC login service configuration change, some customers can't log in with Google due to a redirect_uri_mismatch error; it is being rolled back, while password, SAML and existing sessions are unaffected, with another update by 14:30 UTC.
----
Q: what was the root cause?
D:
Postmortem: INC-911, Google login failures (September 12)
Impact: From 13:20 to 14:18 UTC, about 9% of login attempts failed for users signing in with Google.
Root cause: a change that added a new login domain for the ap-northeast region also replaced the list of allowed redirect URIs in our Google OAuth client, instead of appending to it. The change was tested only in ap-northeast.
Resolution: Dmitri Volkov rolled back the change at 14:12; logins recovered by 14:18.
Actions: manage OAuth client settings in Terraform with review (Dmitri); add a synthetic login check for every region (Astrid).
S: A change adding an ap-northeast login domain replaced, rather than appended to, the allowed redirect URIs in Google's OAuth client, and it was only tested in that region, so other regions' Google logins failed.
----
D:
Engineering all-hands notes
Leon Hartmann opened with the reorg: the Connectors and Identity teams move into a new Trust & Access group led by Adaeze Nwosu from October 1.
Kenji Morimoto presented the relevance roadmap: learning-to-rank using click data ships in Q4, after a privacy review.
Q&A: someone asked whether the hiring freeze affects backfills. Leon said backfills are approved automatically; only new roles need CFO sign-off.
Next all-hands is in December, in the Warsaw office.
S: At the engineering all-hands, Leon Hartmann announced Connectors and Identity join a new Trust & Access group under Adaeze Nwosu on October 1, Kenji Morimoto previewed Q4 learning-to-rank, and backfills remain exempt from the hiring freeze.
----
D:
#help-finance
Callum: customer paid their invoice twice, about $18k. how do we refund?
Fiona (Finance): don't refund yet. first check with the AR team that both payments cleared
Callum: they did, both on September 2
Fiona (Finance): then ask the customer if they want a refund or a credit on the next invoice. most prefer credit
Callum: they want a refund
Fiona (Finance): ok, raise a refund request in NetSuite with both payment references and I'll approve it today
S: After a customer paid an $18k invoice twice, Fiona told Callum to confirm both payments cleared, ask refund or credit, and, since they want a refund, raise a NetSuite refund request with both payment references for her same-day approval.
----
Q: what will change for customers?
D:
Subject: Retiring API v1
From: Arjun Mehta

Hi all, we'll retire search API v1 on March 31 next year. About 160 customers still call it, most through old scripts. From November 1, v1 responses include a deprecation header, and from January 15 we'll reduce v1's rate limit by half. Customer Success gets a list of affected accounts next week, with the top 20 by volume to be contacted personally. Migration to v2 mostly means changing the endpoint and pagination parameters; the guide is on the developer portal.
Arjun
S: Customers still using search API v1 will get a deprecation header from November 1, half the rate limit from January 15, and retirement on March 31, and must move to v2, mainly by changing the endpoint and pagination.
----
D:
Granite kickoff notes
Thandiwe: Granite replaces the search cluster's storage layer with tiered storage: recent data on SSD, older on object storage.
Dmitri: Current cost is $190k a month for storage. Tiering could cut it by 45%.
Arjun: Query latency on cold data will be higher. How much?
Thandiwe: Target is p95 under 800 ms for documents older than a year, which are 6% of queries.
Dmitri: Timeline: prototype by November, one region in Q1.
Thandiwe: I'll lead; Dmitri and two engineers from Search Infra join.
S: Thandiwe will lead Granite, moving search storage to SSD for recent and object storage for older data to cut $190k monthly costs about 45%, accepting p95 under 800 ms for the 6% of queries on year-old documents, with a November prototype.
----
D:
Support ticket #61877, Meadowvale Hospital
From: Sanjay Kulkarni (IT)
"After your update on Tuesday, our clinicians get 'session expired' every 15 minutes. This is a safety issue: they search protocols during procedures."
Agent notes (Bukola): The hospital's admin set session timeout to 15 minutes using the new session length setting in 5.2, probably meaning idle timeout. Our setting is absolute. Explained the difference; they set it to 12 hours, with their own device lock for idle screens. Filed FR-1433 for a separate idle timeout option.
S: Meadowvale Hospital clinicians were logged out every 15 minutes because their admin set 5.2's absolute session length to 15 minutes, intending an idle timeout; Bukola had them use 12 hours with device locks and filed FR-1433 for idle timeouts.
----
D:
Subject: Partner program launch
From: Anouk de Vries

Team, the Corvel partner program launches on October 1 with 8 partners: 5 consultancies and 3 resellers, mostly in Germany, the Netherlands and the Nordics. Partners get a 20% margin on resale, deal registration in the partner portal, and free training for up to 10 consultants each. Partner-sourced deals are credited to the territory rep, so there's no channel conflict. We expect partners to source 8% of new business in EMEA next year. Questions to #partners.
Anouk
S: Anouk de Vries announced the partner program launches October 1 with 5 consultancies and 3 resellers, offering 20% resale margin, deal registration and training for 10 consultants each, crediting territory reps, and aiming for 8% of EMEA new business.
----
D:
1:1 notes, Camille and Yusuf
Yusuf: Tidewater is at 80% of traffic. The font fix worked for Japanese and Korean.
Camille: Excel?
Yusuf: Lazy-loading sheets fixed timeouts, but some users say the preview looks empty until they click another sheet tab.
Camille: Show a small "more sheets" hint. What else?
Yusuf: I'd like to give the Tidewater talk at the engineering all-hands in December.
Camille: Yes, I'll tell Leon. Also, your promotion: I'm putting you forward this cycle.
S: Yusuf reported Tidewater at 80% of traffic with Japanese and Korean fonts fixed, but lazy-loaded Excel previews look empty, so Camille asked for a "more sheets" hint; she'll propose his December all-hands talk to Leon and nominate him for promotion.
----
Q: what is the deadline for the switch?
D:
IT notice: moving to the new password manager
We're replacing our current password manager with 1Password on November 15. Your vault will be migrated automatically, including shared team vaults. Before November 8, please install the 1Password app and browser extension from Self Service and log in with Okta. After November 15, the old password manager becomes read-only, and it's deleted on December 15. Personal passwords stored in your work vault should be moved to a personal account, which Corvel pays for under the family plan.
S: Employees must install 1Password and log in with Okta before November 8; the switch happens November 15, when the old password manager turns read-only, and it's deleted December 15.
----
D:
Weekly update: Saffron localization
Saffron adds right-to-left language support to the web app for Arabic and Hebrew.
Done: layout mirroring for search results, settings and the admin console; Arabic translation at 88%.
In progress: date and number formats; the rich text editor, which doesn't handle mixed-direction text well.
Risk: the editor library doesn't support bidirectional text, so we may need to switch libraries, adding 4 to 6 weeks.
Decision needed from Rohan by Friday: launch without the editor (read-only RTL) in November, or wait until January.
S: Saffron has mirrored most web app layouts for Arabic and Hebrew with Arabic 88% translated, but the editor can't handle bidirectional text; Rohan must decide by Friday between a November launch with read-only RTL editing or waiting until January.
----
D:
#sales-apac
Hana: Sunward Airlines wants to resume their cabin crew rollout, 4,000 more users
Malik: did the shared iPad issue get fixed?
Hana: shared-device mode is in mobile 6.8, out next week. clears recent searches and cached files at logout
Malik: then we can restart the rollout the week after, I'll tell Mateo
Hana: they also asked for a discount for the extra users
Malik: offer the same per-seat price as their existing contract, no extra discount
S: Sunward Airlines will resume its 4,000-user cabin crew rollout the week after mobile 6.8 ships shared-device mode, which clears searches and cached files at logout; Malik will offer the extra seats at their existing per-seat price without further discount.
----
D:
Policy: sabbatical
After five years of continuous service, employees can take a paid sabbatical of four weeks, and again after every further five years. The sabbatical can be combined with up to two weeks of PTO with manager approval. Apply in Workday at least three months before the start date. The sabbatical must be taken within two years of becoming eligible, otherwise it lapses. Employees on sabbatical should not do any work, including checking email; managers plan coverage in advance.
S: After five years' service, and every five years after, employees get a four-week paid sabbatical, combinable with two weeks of PTO, applied for three months ahead and taken within two years, with no work allowed during it.
----
Q: what does the team need from other teams?
D:
Cinder project brief
Goal: let admins see, for any document, who can access it and why (direct share, group, or public link), to answer auditors faster.
Scope: a "who has access" panel in the admin console and a CSV export for a folder.
Needs from other teams: Larkspur's permission decision API (Identity), group membership data for all connectors (Connectors), and UI review from Design Systems.
Timeline: beta for 5 regulated customers in Q1.
Owner: Ifeoma Chukwu
S: Cinder needs Larkspur's permission decision API from Identity, group membership data for every connector from the Connectors team, and a UI review from Design Systems.
----
D:
Subject: Wren hackathon project, next steps
From: Leon Hartmann

Hi Rohan and Tala, congratulations again on Wren, the meeting action-item tracker that won the autumn hackathon. I'd like to turn it into a real experiment: two engineers for six weeks, testing with 5 internal teams, then 3 customers. Success means at least 40% of action items in tracked meetings being marked done within a week. Please write a one-page plan by October 4, including how action items are stored and who can see them.
Leon
S: Leon Hartmann asked Rohan and Tala, who built the hackathon-winning action-item tracker Wren, for a one-page plan by October 4 for a six-week, two-engineer experiment with 5 internal teams and 3 customers, targeting 40% of items done within a week.
""")

SUM_HELDOUT.append(r"""
D:
Quarterly planning, Trust & Access
Adaeze: Three priorities for Q4: Larkspur cutover, Cinder beta prep, and SCIM reliability.
Gustavo: Larkspur cutover is October 14 for eu-west, then the other regions every two weeks.
Priyanka: SCIM: 18% of our escalations last quarter were group sync problems. I'd like a dedicated engineer for a quarter.
Adaeze: Agreed, take Lars from the connectors backlog.
Ifeoma: Cinder needs Larkspur's decision API stable before we build on it.
Adaeze: Then Cinder starts building after the second region cutover, early November.
S: Trust & Access set Q4 priorities: Larkspur cutover from October 14 region by region, a dedicated engineer (Lars) for SCIM sync problems behind 18% of escalations, and Cinder building from early November once Larkspur's API is stable.
----
D:
Subject: Benefits change, Netherlands
From: People Ops

From January 1, employees in the Netherlands receive a monthly home working allowance of €2.35 per day worked from home, tax-free, instead of the fixed €50 internet allowance. Days are based on your registered office days in the desk booking app: every working day without an office booking counts as a home day. The travel allowance for office days stays at €0.23 per kilometre. Payments are made with the monthly salary, one month in arrears.
S: From January 1, Dutch employees get a tax-free €2.35 per home-working day, based on days without desk bookings, replacing the €50 internet allowance; the €0.23 per kilometre office travel allowance stays, paid monthly in arrears.
----
Q: what went wrong with the launch?
D:
Retro: meeting briefs launch
Went well: 1,900 workspaces enabled meeting briefs in the first month; users who opened a brief rated it 4.2 out of 5.
Went badly: briefs included emails from shared mailboxes that some attendees shouldn't have seen, because shared mailbox permissions weren't checked. We disabled shared mailbox content on day 3 and fixed it on day 9. Also, the admin setting was hard to find; 40% of support tickets were "how do I turn this on".
Actions: permission tests for every new content source (Ifeoma); move the setting to the main admin page (Rohan).
S: Meeting briefs showed shared mailbox emails to attendees who shouldn't see them, because those permissions weren't checked, requiring a day-3 disable and day-9 fix, and the hard-to-find admin setting drove 40% of tickets.
----
D:
#proj-larkspur
Gustavo: eu-west cutover done at 09:00. error rate flat, latency p99 12ms vs 18ms on legacy
Henrik: 3 customers reported missing access to old shared docs. all are shares with deleted users, expected behaviour
Adaeze: do the customers know why?
Bukola: sent them the explanation and how to re-share. all fine with it
Gustavo: next region us-central on October 28
S: Larkspur cut over in eu-west at 09:00 with flat errors and p99 latency down from 18 to 12 ms; three customers lost access to documents shared with deleted users as expected, Bukola explained re-sharing, and us-central follows October 28.
----
D:
Policy: customer references
Before naming a customer publicly, in a case study, press release, website logo or conference talk, you need written permission from the customer, usually through their marketing or legal team. Customer Success keeps the list of approved references in Salesforce, including what each customer agreed to. Never mention a customer's name in social media posts without checking the list. Internal documents may name customers freely. For sales calls, you can mention approved reference customers, and only in the way they approved.
S: Naming a customer publicly in case studies, press, logos, talks or social posts requires their written permission, tracked in Salesforce by Customer Success; internal documents may name customers freely, and sales calls may only cite approved references as approved.
----
D:
Support ticket #62340, Tallis Architects
From: Hugo Bennett (IT lead)
"Our CAD files (DWG) show up in search but the preview is blank and the text inside drawings isn't searchable. Our architects search by project number, which is in the title block."
Agent notes (Bukola): DWG isn't a supported format for text extraction; only the file name is indexed. Confirmed with the Tidewater team that DWG preview and text extraction is on the roadmap for Q2. Workaround suggested: include the project number in file names, which their naming policy already mostly does.
S: Tallis Architects' DWG CAD files show blank previews and unsearchable drawing text because DWG extraction isn't supported; Bukola confirmed with the Tidewater team that support is planned for Q2 and suggested including project numbers in file names meanwhile.
----
Q: what is the budget?
D:
Proposal: engineering offsite
Where: Kraków, near the Warsaw office, November 19 to 21.
Who: 95 engineers from Trust & Access, Search and Content Platform.
Why: many teams were formed or reorganized this year and have never met in person.
Cost: €142,000, covering flights (€48k), hotel (€51k), venue and food (€35k) and activities (€8k). This is within the H2 team events budget.
Agenda: day one team planning, day two cross-team architecture sessions, day three a hackathon.
Owner: Leon Hartmann
S: The Kraków engineering offsite for 95 engineers costs €142,000, within the H2 team events budget: €48k flights, €51k hotel, €35k venue and food, and €8k activities.
----
D:
Meeting notes: Calloway Legal renewal
Attendees: Bridget O'Neill (Calloway), Sunita Rao, Declan Murphy
Bridget said the 7% increase is acceptable, but the firm wants the two-year price lock extended to three years.
Declan agreed to three years if Calloway adds the Compliance add-on, which they need anyway for audit log export.
Bridget also confirmed the GDPR deletion for their former partner was completed to their satisfaction.
Next: Sunita sends a revised order form on Monday; Bridget expects signature within two weeks.
S: Calloway Legal accepted the 7% increase, and Declan Murphy agreed to extend the price lock to three years if they add the Compliance add-on; Sunita sends a revised order form Monday, with signature expected within two weeks.
----
D:
Subject: New region live: ap-northeast
From: Dmitri Volkov

Hi all, the ap-northeast region in Tokyo is live for new workspaces from today. Existing customers in Japan and Korea can request migration from Customer Success; a migration takes about a day of read-only time for a 1,000-user workspace. AI answers in the region are processed locally from day one. The region has its own status page entry. Thanks to Astrid for the alerting work and to Kenji for testing Japanese search quality.
Dmitri
S: Dmitri Volkov announced the Tokyo ap-northeast region is live for new workspaces, with local AI processing and its own status entry; existing Japanese and Korean customers can request migration, about a day read-only per 1,000 users.
----
Q: who needs to act and by when?
D:
Subject: Expense reports over 60 days
From: Fiona Gallagher

Hi all, 41 expense reports from Q3 are still unsubmitted or unapproved, some over 60 days old. Our policy rejects expenses older than 60 days, but for this quarter we'll make a one-time exception for anything submitted by October 18. Submitters: please submit by then. Approvers: please clear your queue by October 21. After that, reports older than 60 days will be rejected with no further exceptions.
Fiona
S: Submitters must send outstanding Q3 expense reports by October 18 under a one-time exception to the 60-day rule, and approvers must clear their queues by October 21, Fiona Gallagher wrote.
----
D:
#ml-platform
Kenji: learning-to-rank model v1 offline results: nDCG@10 up 6.1% over the current ranker
Priyanka: does it use click data from all customers?
Kenji: only from workspaces whose contracts allow product improvement use, about 70%. privacy review signed off last week
Wanjiru: online test plan?
Kenji: 10% of traffic for two weeks starting November 4, excluding regulated customers
Priyanka: and if it wins?
Kenji: then 50% in December and full rollout in January, after a second privacy check
S: Kenji reported the learning-to-rank model v1 improved offline nDCG@10 by 6.1%, trained only on clicks from the roughly 70% of workspaces whose contracts allow it after privacy sign-off; an online test on 10% of traffic, excluding regulated customers, starts November 4.
----
D:
Customer escalation: Ostrava Steelworks
From: Petr Novotný (IT director)
To: Callum Fraser

Callum, our plant managers cannot search drawings and maintenance logs stored in our on-premise file servers, because your connector requires an outbound connection we don't allow from the plant network. We were told during the sale that an on-premise agent was available. If we can't search plant documents by the end of the year, we'll ask to end the contract early.
Petr
S: Ostrava Steelworks' Petr Novotný told Callum Fraser that plant managers can't search on-premise drawings and logs because the connector needs an outbound connection their plant network blocks, contrary to the on-premise agent promised in the sale, and threatened early termination otherwise.
----
D:
Release notes, mobile 6.8
- Shared-device mode: admins can mark device groups as shared. Logging out clears recent searches, cached files and offline pins.
- Meeting briefs on mobile: open a brief from the calendar tab.
- Right-to-left layout for Arabic and Hebrew (read-only editor).
- Fixed: push notifications not arriving after reinstalling the app on Android 14.
- Minimum versions: iOS 17 and Android 11.
S: Mobile 6.8 adds admin-configured shared-device mode that clears searches, cached files and pins at logout, meeting briefs from the calendar tab and read-only right-to-left layouts, fixes Android 14 push after reinstall, and requires iOS 17 or Android 11.
----
D:
Subject: Mentorship program, autumn cohort
From: Learning & Development

Applications for the autumn mentorship cohort are open until October 11. Mentees are matched with a mentor from another department for 6 months, meeting at least twice a month. This cohort has 40 places; last cohort had 110 applications, so we'll prioritize people who haven't taken part before. Mentors get a two-hour training session on October 23. Matching is announced on November 1. Apply through the form on the L&D wiki page.
S: Applications for the autumn mentorship cohort close October 11, offering 40 places with cross-department mentors for six months, prioritizing first-timers; mentor training is October 23 and matches are announced November 1.
----
Q: what was the outcome of the vote?
D:
Design council, October 9
Topic: replacing the icon set.
Rohan: The current icons are inconsistent; 30% were drawn by different people over the years.
Hana: A new set means updating 1,200 icons across web and mobile. About 6 weeks for one designer.
Tala: We could adopt an open-source set and only draw the 40 product-specific icons ourselves.
Vote: open-source set plus custom icons, 5 in favour, 1 against (Hana, who prefers a fully custom set for brand reasons).
Next: Tala picks the set by October 23.
S: The design council voted 5 to 1 to adopt an open-source icon set and draw only the 40 product-specific icons in-house; Hana voted against, preferring a fully custom set for brand reasons.
----
D:
#content-platform
Camille: DWG support is now planned for Q1 instead of Q2. we found a library that extracts text and renders previews
Yusuf: licence?
Camille: commercial, $24k a year. cheaper than building it, estimated at 4 engineer-months
Yusuf: any customers waiting?
Camille: Tallis Architects and two other firms, plus it helps the manufacturing deals
Yusuf: ok, let's get Procurement started this week
S: Camille moved DWG preview and text extraction from Q2 to Q1 using a commercial library at $24k a year, cheaper than four engineer-months of building it; it helps Tallis Architects, two other firms and manufacturing deals, and Procurement starts this week.
----
D:
Postmortem: INC-925, stale search results in eu-west (October 16)
Impact: For 5 hours, edits to documents in eu-west took up to 3 hours to appear in search. New documents were not affected.
Cause: The Larkspur cutover changed the event format for permission updates. The indexer treated content edit events with the new format as permission-only changes and skipped re-indexing text.
Resolution: Henrik Dahl deployed an indexer fix at 15:40 and re-indexed 420,000 edited documents.
Actions: contract tests between Larkspur events and the indexer (Henrik); alert on the ratio of skipped events (Astrid).
S: On October 16, eu-west document edits took up to 3 hours to appear in search because the indexer mistook Larkspur's new event format for permission-only changes; Henrik Dahl fixed it and re-indexed 420,000 documents, adding contract tests and an alert.
----
Q: is there a workaround?
D:
Ticket #63012, Meadowvale Hospital
From: Sanjay Kulkarni
"Our clinical protocols are PDFs with scanned pages. Search finds the title but not words inside the scan."
Agent notes (Bukola): OCR for scanned PDFs is only enabled on the Enterprise plan; Meadowvale is on Team. Options: upgrade to Enterprise, or buy the OCR add-on for $2 per user per month. Workaround until then: add key terms to the document description field in SharePoint, which we index. Sent pricing to their account manager, Malik Johnson.
S: Yes: until Meadowvale Hospital upgrades to Enterprise or buys the $2 per user OCR add-on, staff can add key terms to the SharePoint description field, which Corvel indexes.
----
D:
Subject: Q4 hiring freeze
From: Leon Hartmann, COO

Hi all, given slower sales in Q3, we're pausing new roles for Q4. Backfills for people who leave are approved automatically. Offers already made will be honored, including the 11 people starting in October and November. Exceptions for new roles need CFO and COO approval and a business case. We'll revisit in January with the annual plan. This is a pause, not a signal of layoffs.
Leon
S: COO Leon Hartmann paused new roles for Q4 after slower Q3 sales, while auto-approving backfills and honoring existing offers, including 11 October and November starters; exceptions need CFO and COO approval, and the freeze is revisited in January.
""")

SUM_TRAIN.append(r"""
Q: who needs to be told?
D:
#proj-atlas
Marcus: cutover finished at 01:40 UTC. new billing system generated 18,400 invoices, all matched the dry run
Zainab: EUR, GBP and USD spot checks look right, VAT rounding per invoice as planned
Marcus: rollback window stays open until Sunday 22:00
Ingrid: great work. please tell Support before they start at 8am, and post in #finance-ops so AR knows the new invoice numbers start at INV-2024-500000
Marcus: will do both, and I'll email the CS leads about the new PDF layout
S: Support must hear before their 8am start, AR through #finance-ops that new invoice numbers begin at INV-2024-500000, and the Customer Success leads about the new invoice PDF layout.
----
Q: how much will it save?
D:
Subject: Consolidating meeting room booking tools
From: Katie Morgan

Hi all, we currently pay for two tools to book rooms: Robin in London and Dublin ($14,400 a year) and the Google Calendar rooms feature everywhere else, which is free with our plan. From September, all offices will use Google Calendar rooms, and the Robin contract ends on August 31. The room displays outside each room will be replaced with Google-compatible tablets for a one-time cost of $6,200. Desk booking stays in the separate desk booking app.
Katie
S: Dropping Robin saves $14,400 a year from September, offset once by $6,200 for replacing the room display tablets.
----
Q: which teams are affected?
D:
Platform notice: Redis upgrade
On July 20 between 06:00 and 07:00 UTC, the shared Redis clusters in us-east will be upgraded to version 7.2. Each node restarts once, causing up to 30 seconds of failed writes per node. Services using the shared clusters are notifications-svc, the session service, rate limiting at the API gateway and the autocomplete cache. Teams that run their own Redis are not affected. Owners of the four services listed should make sure their clients retry writes; the Platform team will be in #platform-ops during the window.
S: The owners of notifications-svc, the session service, API gateway rate limiting and the autocomplete cache are affected, since these use the shared us-east Redis clusters being upgraded on July 20.
----
Q: what do I need to bring?
D:
Subject: Visa appointment for your move to Dublin
From: Immigration team

Hi Tomás, your Critical Skills Employment Permit was approved. Your appointment at the immigration office in Dublin is on September 4 at 10:15. Please bring your passport, the original permit letter, proof of your Dublin address (a lease or a letter from the temporary housing provider) and €300 for the residence card fee, paid by card. The fee can be expensed under "Relocation". Your residence card arrives by post within about 3 weeks.
S: Tomás must bring his passport, the original permit letter, proof of his Dublin address such as a lease or housing provider letter, and €300 by card for the residence card fee, which he can expense.
----
Q: what is the status of the fix?
D:
#cx-escalations
Oluchi: Blue Ridge Dental asked again about BILL-912, the calendar disconnect after plan upgrades
Zainab: fix is merged. plan changes now migrate connector tokens to the new plan record
Oluchi: when does it ship?
Zainab: in tonight's billing deploy. I also wrote a script to find workspaces that lost tokens in the last 90 days, there are 37
Oluchi: can we notify those 37?
Zainab: list is in the ticket, go ahead
S: The BILL-912 fix is merged and ships in tonight's billing deploy, migrating connector tokens on plan changes, and Zainab found 37 affected workspaces from the last 90 days that Oluchi can now notify.
""")


SUM_HELDOUT.append(r"""
D:
Subject: Greystone Capital, back in play
From: Callum Fraser

Team, some good news. Greystone Capital's CIO, Harriet Lowe, called me today. Six months after choosing the competitor's bundled suite, their search adoption is under 20% and their lawyers still can't search the document management system. She wants a proposal for 600 seats in the legal and compliance teams only, not the full 1,800. This time we have the financial services questionnaire ready. I'd like a solutions engineer for a two-week proof of concept starting November 11.
Callum
S: Callum Fraser reported that Greystone Capital's CIO Harriet Lowe wants a 600-seat proposal for legal and compliance after poor adoption of the competitor's suite, and he's requesting a solutions engineer for a two-week proof of concept from November 11.
""")


def main() -> int:
    check_only = "--check" in sys.argv[1:]
    datasets = {
        "query_rewrite_train.jsonl": ("qr", parse_qr(QR_TRAIN)),
        "query_rewrite_heldout.jsonl": ("qr", parse_qr(QR_HELDOUT)),
        "summarize_train.jsonl": ("sum", parse_sum(SUM_TRAIN)),
        "summarize_heldout.jsonl": ("sum", parse_sum(SUM_HELDOUT)),
    }
    next_id = {"qr": 1, "sum": 1}
    for name, (prefix, rows) in datasets.items():
        random.Random(f"searchtune-{name}").shuffle(rows)
        lines = []
        for row in rows:
            row_id = f"{prefix}-{next_id[prefix]:04d}"
            next_id[prefix] += 1
            if prefix == "qr":
                record = {"id": row_id, "history": row["history"], "query": row["query"], "rewrite": row["rewrite"]}
            else:
                record = {"id": row_id, "document": row["document"], "query": row["query"], "summary": row["summary"]}
            lines.append(json.dumps(record, ensure_ascii=False))
        text = "\n".join(lines) + "\n"
        path = OUT / name
        if check_only:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date; run scripts/make_sample_data.py", file=sys.stderr)
                return 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        print(f"{name}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
