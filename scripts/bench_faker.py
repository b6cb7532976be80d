#!/usr/bin/env python3
"""Baseline for scripts/bench-generate.sh: comparable disability case files with Python Faker (fr_FR).

For each case file it makes the same records as `cloison generate` does on average (1.5 persons, 0.4
representations, 1.2 accounts, the case file, 5.7 status events, 2.5 requests, 6.4 documents, 1 evaluation,
2.3 decisions, 0.04 appeals, 1.5 notes), with the same kinds of fields, and writes them as JSON lines, one
file per entity. Prints the number of case files per second on its last line: `faker: <cases> case files in
<seconds> s: <rate> case files/s`.
"""
import json
import os
import random
import sys
import time

from faker import Faker


def main() -> None:
    cases = int(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    fake = Faker("fr_FR")
    Faker.seed(1)
    random.seed(1)
    names = ["persons", "representations", "accounts", "case_files", "status_events", "requests",
             "documents", "evaluations", "decisions", "appeals", "notes"]
    files = {n: open(os.path.join(out, n + ".jsonl"), "w", encoding="utf-8") for n in names}

    def emit(entity: str, record: dict) -> None:
        files[entity].write(json.dumps(record, ensure_ascii=False) + "\n")

    def person(pid: int, tenant: int) -> dict:
        return {
            "id": pid, "tenant_id": tenant, "sex": random.choice("MF"), "first_name": fake.first_name(),
            "surname": fake.last_name(), "birth_date": fake.date_of_birth().isoformat(),
            "birth_place_code": fake.department_number(), "birth_place": fake.city(), "nir": fake.ssn(),
            "address_line": fake.street_address(), "postcode": fake.postcode(), "commune_code": fake.postcode(),
            "commune": fake.city(), "departement": fake.department_number(), "phone": fake.phone_number(),
            "email": fake.email(), "iban": fake.iban() if random.random() < 0.6 else None, "protection": "none",
        }

    start = time.perf_counter()
    for g in range(cases):
        tenant = random.randint(1, 101)
        n_persons = 1 + (random.random() < 0.3) + (random.random() < 0.2)
        for k in range(n_persons):
            emit("persons", person(3 * g + k + 1, tenant))
        if n_persons > 1:
            emit("representations", {"id": 2 * g + 1, "tenant_id": tenant, "person_id": 3 * g + 1,
                                     "representative_id": 3 * g + 2, "kind": "parent",
                                     "start_date": fake.date_this_decade().isoformat(), "end_date": None})
        for k in range(1 + (random.random() < 0.2)):
            emit("accounts", {"id": 3 * g + k + 1, "tenant_id": tenant, "login": fake.email(),
                              "password": fake.password(length=20), "role": "applicant", "function": None,
                              "display_name": fake.name(), "person_id": 3 * g + k + 1,
                              "represented_person_id": None})
        case_number = fake.bothify("##-####-######")
        emit("case_files", {"id": g + 1, "tenant_id": tenant, "person_id": 3 * g + 1, "case_number": case_number,
                            "audience": "adult", "request_kind": "first",
                            "filing_date": fake.date_this_decade().isoformat(),
                            "admissibility_date": fake.date_this_decade().isoformat(), "status": "notifiee",
                            "form_signed_date": fake.date_this_decade().isoformat(),
                            "medical_certificate_date": fake.date_this_decade().isoformat(),
                            "medical_certificate_doctor": "Dr " + fake.name(), "pch_age_exception": False})
        for k in range(random.randint(4, 7)):
            emit("status_events", {"id": 8 * g + k + 1, "tenant_id": tenant, "case_id": g + 1, "status": "recevable",
                                   "date": fake.date_this_decade().isoformat()})
        n_rights = random.randint(1, 4)
        for k in range(n_rights):
            emit("requests", {"id": 8 * g + k + 1, "tenant_id": tenant, "case_id": g + 1, "right": "AAH",
                              "detail": fake.word()})
        for k in range(random.randint(5, 8)):
            emit("documents", {"id": 16 * g + k + 1, "tenant_id": tenant, "case_id": g + 1, "person_id": 3 * g + 1,
                               "kind": "medical_certificate", "file_name": fake.file_name(extension="pdf"),
                               "content_type": "application/pdf", "size": random.randint(2500, 6000),
                               "reference": case_number + "/D" + str(k + 1),
                               "issued_date": fake.date_this_decade().isoformat()})
        emit("evaluations", {"id": g + 1, "tenant_id": tenant, "case_id": g + 1, "evaluator_id": random.randint(1, 999),
                             "date": fake.date_this_decade().isoformat(), "band": "80_plus",
                             "work_restriction": fake.boolean(), "improvement_expected": fake.boolean()})
        for k in range(n_rights):
            emit("decisions", {"id": 8 * g + k + 1, "tenant_id": tenant, "case_id": g + 1, "request_id": 8 * g + k + 1,
                               "right": "AAH", "number": case_number + "-AAH", "outcome": "accord",
                               "decision_date": fake.date_this_decade().isoformat(),
                               "start_date": fake.date_this_decade().isoformat(),
                               "end_date": fake.date_this_decade().isoformat(), "no_time_limit": False,
                               "refusal_reason": None, "notified_to": "usager",
                               "notification_date": fake.date_this_decade().isoformat(),
                               "text": fake.paragraph(nb_sentences=3)})
        if random.random() < 0.04:
            emit("appeals", {"id": g + 1, "tenant_id": tenant, "case_id": g + 1, "decision_id": 8 * g + 1,
                             "kind": "rapo", "filed_date": fake.date_this_decade().isoformat(), "outcome": "pending",
                             "outcome_date": None})
        for k in range(random.randint(0, 3)):
            emit("notes", {"id": 4 * g + k + 1, "tenant_id": tenant, "case_id": g + 1,
                           "author_id": random.randint(1, 999), "date": fake.date_this_decade().isoformat(),
                           "text": fake.paragraph(nb_sentences=2)})
    for f in files.values():
        f.close()
    secs = time.perf_counter() - start
    print(f"faker: {cases} case files in {secs:.2f} s: {cases / secs:.0f} case files/s")


if __name__ == "__main__":
    main()
