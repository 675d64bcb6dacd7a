// The shared validator table (tests/forms/validation_cases.json): each case as the filing a kiosk
// would send, and the field ids it must be refused for. Used by the kiosk's and central's tests.
#pragma once

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace shensu::testing::forms
{

struct TableCase {
    std::string name;
    nlohmann::json filing; // {form:{id,version}, answers, filer, kioskId, createdAt}
    std::set<std::string> invalid;
    bool unknownForm = false;
    bool central = false; // also posted through a real central
};

inline nlohmann::json expand(const nlohmann::json& value)
{
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        if (text.rfind("@repeat:", 0) != 0) return value;
        const auto colon = text.rfind(':');
        const std::string unit = text.substr(8, colon - 8);
        std::string out;
        for (int i = std::stoi(text.substr(colon + 1)); i > 0; --i)
            out += unit;
        return out;
    }
    if (value.is_array() || value.is_object()) {
        nlohmann::json out = value;
        for (auto& item : out)
            item = expand(item);
        return out;
    }
    return value;
}

inline std::vector<TableCase> loadTable(const std::string& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file);
    const auto doc = nlohmann::json::parse(in);
    std::vector<TableCase> out;
    for (const auto& c : doc.at("cases")) {
        nlohmann::json answers = doc.at("bases").at(c.at("base").get<std::string>());
        const nlohmann::json set = c.contains("set") ? c["set"] : nlohmann::json::object();
        const nlohmann::json remove = c.contains("remove") ? c["remove"] : nlohmann::json::array();
        for (const auto& [k, v] : set.items())
            answers[k] = v;
        for (const auto& k : remove)
            answers.erase(k.get<std::string>());
        const bool anonymous = c.at("filer") == "anonymous";
        TableCase t;
        t.name = c.at("name");
        t.filing = { { "form", { { "id", c.at("form") }, { "version", 1 } } },
            { "answers", expand(answers) },
            { "filer",
                anonymous ? nlohmann::json("anonymous")
                          : nlohmann::json { { "method", "health_card" }, { "name", "林測試" } } },
            { "kioskId", "KIOSK-TEST-01" }, { "createdAt", "2026-11-23T10:00:00Z" } };
        for (const auto& f : c.at("invalid"))
            t.invalid.insert(f.get<std::string>());
        t.unknownForm = c.contains("unknownForm") && c["unknownForm"] == true;
        t.central = c.contains("central") && c["central"] == true;
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace shensu::testing::forms
