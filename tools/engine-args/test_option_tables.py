"""The plugins' option tables are generated from the committed facts and must match them."""

import json

import option_tables


def test_generated_tables_are_current():
    assert option_tables.main(["--check"]) == 0


def test_every_option_string_alias_and_negation_is_in_the_table():
    facts = json.loads((option_tables.FACTS / "vllm-0.33.0.json").read_text())
    table = option_tables.table_for(facts)
    for name, flag in facts["flags"].items():
        for option in [name, *flag.get("aliases", []), *flag.get("negations", [])]:
            assert table["options"][option][0] == flag["dest"], option
    assert table["options"]["-tp"] == ["tensor_parallel_size", 1]
    assert table["options"]["--no-enforce-eager"] == ["enforce_eager", 0]
    assert table["options"]["--help"] == ["help", 0]
    assert table["fp8"]["minCapability"] == 75


def test_fp8_minimum_differs_per_version():
    mins = {f.stem: json.loads(f.read_text()).get("fp8", {}).get("minCapability") for f in option_tables.FACTS.glob("*.json")}
    assert mins["vllm-0.33.0"] == 75 and mins["vllm-0.13.0"] == 80 and mins["sglang-0.5.23"] == 80
