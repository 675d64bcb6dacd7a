// Central's check of a filing's answers: the kiosk's own form files and validator
// (kiosk/core form.hpp, validation.hpp; library shensu_forms), run on every filing central opens.
#pragma once

#include <kiosk/core/form.hpp>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace shensu::central
{

// Every form file of a directory (assets/forms), by (id, version). Throws std::runtime_error
// naming the file when one does not load.
class FormRegistry
{
public:
    static FormRegistry load(const std::filesystem::path& dir);
    const kiosk::Form* find(const std::string& id, int version) const;
    std::size_t size() const noexcept { return forms_.size(); }

private:
    std::map<std::pair<std::string, int>, kiosk::Form> forms_;
};

// What central says about a filing: accepted, or refused with the ids of the fields at fault
// (never their values: central's answer and log carry no personal data).
struct FilingVerdict {
    bool ok = true;
    std::string error; // "unknown form", "answers do not match the form", "not a filing"
    std::vector<std::string> fields; // answer ids ("phone", "respondents.0.name"), each once
};

// filing is the opened envelope's JSON: {form:{id,version}, answers, filer, ...}. An anonymous
// filer is the string "anonymous"; anything else is an identified filer (fields marked
// "identified" are then required).
FilingVerdict checkFiling(const FormRegistry& forms, const nlohmann::json& filing);

} // namespace shensu::central
