// Every string in both languages: the catalogues agree, and every key the code and the form use
// exists.
#include "core_fixture.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace shensu::kiosk;

namespace
{

const Catalogue& catalogue()
{
    static const Catalogue c = Catalogue::load(SHENSU_ASSETS_DIR "/i18n");
    return c;
}

// Keys the kiosk's code uses: literals passed to tr(...)/trf(...) anywhere, and every "a.b" literal
// in the core (its notices, card errors and validation messages are keys; widget ids live only in
// the UI).
std::set<std::string> keysUsedInSources()
{
    std::set<std::string> keys;
    const std::regex call(R"re(\b(?:tr|trf|text)\(\s*(?:[a-z.]+,\s*)?"([a-z_]+\.[a-z_.]+)")re");
    const std::regex literal(R"re("([a-z_]+\.[a-z_.]+)")re");
    const std::filesystem::path root = SHENSU_KIOSK_SOURCE_DIR;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.path().extension() != ".cpp" && entry.path().extension() != ".hpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        const bool core = entry.path().string().starts_with((root / "core" / "src").string());
        for (std::sregex_iterator it(s.begin(), s.end(), core ? literal : call), end; it != end;
             ++it) {
            const std::string key = (*it)[1].str();
            if (!key.ends_with(".json")) keys.insert(key); // file names are not keys
        }
    }
    return keys;
}

} // namespace

TEST_CASE("zh-TW and en have exactly the same keys, none empty")
{
    const auto zh = catalogue().keys(Language::ZH_TW);
    const auto en = catalogue().keys(Language::EN);
    for (const auto& k : zh) {
        INFO(k);
        CHECK(catalogue().has(Language::EN, k));
        CHECK_FALSE(catalogue().text(Language::ZH_TW, k).empty());
    }
    for (const auto& k : en) {
        INFO(k);
        CHECK(catalogue().has(Language::ZH_TW, k));
        CHECK_FALSE(catalogue().text(Language::EN, k).empty());
    }
}

TEST_CASE("every key the form refers to is translated")
{
    for (const auto& k : test::realForm()->keys()) {
        INFO(k);
        CHECK(catalogue().has(Language::ZH_TW, k));
        CHECK(catalogue().has(Language::EN, k));
    }
}

TEST_CASE("every key the kiosk's code uses is translated")
{
    const auto used = keysUsedInSources();
    CHECK(used.size() > 40); // the scan found the UI's keys, not nothing
    CHECK(used.count("card_error.unreadable") == 1); // a core literal
    CHECK(used.count("review.confirm") == 1); // a UI tr() call
    for (const auto& k : used) {
        INFO(k);
        CHECK(catalogue().has(Language::ZH_TW, k));
        CHECK(catalogue().has(Language::EN, k));
    }
}

TEST_CASE("the Chinese labels come from the DGPA form word for word")
{
    const auto zh = [](const char* key) { return catalogue().text(Language::ZH_TW, key); };
    CHECK(zh("form.agency.label") == "服務機關(單位)");
    CHECK(zh("form.title.label") == "職稱");
    CHECK(zh("form.identity.worker") == "工友(含技工、駕駛)");
    CHECK(zh("form.identity.security_guard") == "駐衛警");
    CHECK(zh("form.phone.hint") == "電話範例格式如:039-2345678、02-23979298或09123456789");
    CHECK(zh("form.facts.label") == "申訴事實及理由");
    CHECK(catalogue().format(
              Language::ZH_TW, "form.facts.counter", { { "remaining", "996" }, { "max", "1000" } })
        == "可輸入文字：996/1000");
}

TEST_CASE("a missing key shows as the key itself, so it is visible rather than blank")
{
    CHECK(catalogue().text(Language::EN, "no.such.key") == "no.such.key");
}
