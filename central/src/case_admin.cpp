// shensu-central case show|advance|extend (see case_admin.hpp and README.md).
#include "case_admin.hpp"

#include "case_store.hpp"
#include "storage.hpp"
#include "workflow.hpp"

#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace shensu::central
{

namespace
{
    int usage()
    {
        std::cerr << "usage: shensu-central case show --db F CASE\n"
                     "       shensu-central case advance --db F CASE [--to STATE]\n"
                     "       shensu-central case extend --db F CASE [--workflow F]\n"
                     "STATE: received forwarded accepted initial_reported result_reported closed\n";
        return 2;
    }
} // namespace

int caseCommand(int argc, char** argv)
{
    if (argc < 1) return usage();
    const std::string action = argv[0];
    std::map<std::string, std::string> flags;
    std::optional<std::string> caseNumber;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--", 2) == 0) {
            if (i + 1 >= argc) return usage();
            flags[argv[i] + 2] = argv[i + 1];
            ++i;
        } else if (!caseNumber) {
            caseNumber = argv[i];
        } else {
            return usage();
        }
    }
    const auto flag = [&](const char* name) -> std::optional<std::string> {
        const auto it = flags.find(name);
        return it == flags.end() ? std::nullopt : std::optional(it->second);
    };
    std::size_t allowed = 1; // --db
    if (action == "advance" && flag("to")) ++allowed;
    if (action == "extend" && flag("workflow")) ++allowed;
    if (!caseNumber || !flag("db") || flags.size() != allowed
        || (action != "show" && action != "advance" && action != "extend"))
        return usage();
    try {
        const auto storage = openCaseStorage(*flag("db"), {}, false);
        CaseStorage& store = *storage;
        const auto now = std::chrono::system_clock::now();
        std::optional<CaseView> view;
        if (action == "show") {
            view = store.find(*caseNumber);
            if (!view) throw CaseChangeError("no case " + *caseNumber);
        } else if (action == "advance") {
            if (const auto to = flag("to"); to && !caseStateIndex(*to)) {
                std::cerr << "shensu-central: unknown state " << *to << '\n';
                return usage();
            }
            view = store.advance(*caseNumber, flag("to"), now);
        } else {
            const auto file = flag("workflow");
            view = store.extend(
                *caseNumber, file ? WorkflowRules::load(*file) : WorkflowRules {}, now);
        }
        std::cout << toJson(*view).dump() << '\n';
        return 0;
    } catch (const CaseChangeError& e) {
        std::cerr << "shensu-central: " << e.what() << '\n';
        return 1;
    }
}

} // namespace shensu::central
