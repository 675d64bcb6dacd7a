// shensu-ctl: a technician's command line for a kiosk's outbox. `file` seals and stores a filing
// through the kiosk's own Forwarder; `outbox status` and `outbox flush` look at and drain the
// outbox; `outbox list-held` and `outbox retry` show and release held filings. Usage in
// network/README.md.
#include <kiosk/core/form.hpp>
#include <kiosk/core/validation.hpp>
#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace net = shensu::network;
namespace fs = std::filesystem;
using nlohmann::json;

namespace
{

int usage()
{
    std::cerr
        << "usage: shensu-ctl file --config KIOSKCONFIG --form ID --answers FILE [--anonymous]\n"
           "                       [--wait SECONDS | --dry-run]\n"
           "       shensu-ctl outbox status --config KIOSKCONFIG\n"
           "       shensu-ctl outbox flush --config KIOSKCONFIG [--timeout SECONDS]\n"
           "       shensu-ctl outbox list-held --config KIOSKCONFIG\n"
           "       shensu-ctl outbox retry --config KIOSKCONFIG (--id FILINGID | --all)\n"
           "       shensu-ctl heartbeat --config KIOSKCONFIG [--version VERSION]\n"
           "outbox status: {pending, oldestAgeSeconds, held, oldestHeldAgeSeconds}; held filings\n"
           "are those central refused for good (a 400/413/415/422): kept sealed, never sent\n"
           "again by themselves. list-held shows their ids, reason codes and times; retry puts\n"
           "them back in the queue once central is fixed (a running kiosk sends them within its\n"
           "retryMaxDelayMs, a stopped one when it starts or on outbox flush).\n";
    return 2;
}

struct Args {
    std::map<std::string, std::string> values;
    std::set<std::string> switches;
    std::optional<std::string> get(const std::string& name) const
    {
        const auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional(it->second);
    }
};

// --name value pairs, and the switches named in `bare`; nullopt on anything else.
std::optional<Args> parseArgs(int argc, char** argv, int from, const std::set<std::string>& known,
    const std::set<std::string>& bare)
{
    Args args;
    for (int i = from; i < argc; ++i) {
        if (std::strncmp(argv[i], "--", 2) != 0) return std::nullopt;
        const std::string name = argv[i] + 2;
        if (bare.contains(name)) {
            args.switches.insert(name);
        } else if (known.contains(name) && i + 1 < argc) {
            args.values[name] = argv[++i];
        } else {
            return std::nullopt;
        }
    }
    return args;
}

std::string isoNowUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

json readJson(const fs::path& file)
{
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    auto j = json::parse(in, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error(file.string() + " is not JSON");
    return j;
}

// The form with that id (its "id", not its file name: mol-wbrs-enterprise.stage1.v1.json is
// "mol-wbrs-enterprise-stage1") and the highest version under <assetsDir>/forms.
json findForm(const fs::path& kioskConfig, const std::string& id)
{
    const auto config = readJson(kioskConfig);
    fs::path assets = config.value("assetsDir", std::string(SHENSU_ASSETS_DIR));
    if (assets.is_relative()) assets = kioskConfig.parent_path() / assets;
    std::optional<fs::path> best;
    int bestVersion = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(assets / "forms", ec)) {
        if (entry.path().extension() != ".json") continue;
        const auto form = readJson(entry.path());
        if (!form.is_object() || !form.contains("id") || form["id"] != id) continue;
        const int version = form.value("version", 0);
        if (version > bestVersion) {
            bestVersion = version;
            best = entry.path();
        }
    }
    if (!best) throw std::runtime_error("no form '" + id + "' in " + (assets / "forms").string());
    return readJson(*best);
}

// The filing as the kiosk builds it, with the kiosk's own code (kiosk/core validation.hpp:
// validate, then filingDocument): `answers` are the answers as the kiosk keeps them, one string
// per answer id ("respondents" = its number of items, "respondents.0.name", multiple choices
// "a,b"). Only the filer is ours: "anonymous", or a technician's filing (central has no card to
// check it against).
json buildFiling(const shensu::kiosk::Form& form, const json& answers, bool anonymous,
    const std::string& kioskId)
{
    if (!answers.is_object()) throw std::runtime_error("the answers must be a JSON object");
    shensu::kiosk::Answers kept;
    for (const auto& [key, value] : answers.items()) {
        if (form.fieldOfAnswer(key) == nullptr)
            throw std::runtime_error("the form has no field '" + key + "'");
        if (!value.is_string()) throw std::runtime_error("answer '" + key + "' must be a string");
        kept[key] = value.get<std::string>();
    }
    const auto issues = shensu::kiosk::validate(form, kept, !anonymous);
    if (!issues.empty()) {
        std::string text = "the kiosk would not take these answers:";
        for (const auto& issue : issues)
            text += " '" + issue.field + "' (" + issue.messageKey + ")";
        throw std::runtime_error(text);
    }
    json filer = anonymous ? json("anonymous")
                           : json { { "method", "shensu-ctl" },
                                 { "name", kept.contains("name") ? kept["name"] : "" } };
    return shensu::kiosk::filingDocument(form, kept, std::move(filer), kioskId, isoNowUtc());
}

// Collects the forwarder's results for the ids we wait for.
class Results
{
public:
    void operator()(const net::ForwardResult& r)
    {
        std::lock_guard lock(mutex_);
        if (const auto* a = std::get_if<net::FilingAccepted>(&r)) {
            accepted_[a->filingId] = *a;
            deferred_.erase(a->filingId);
        } else if (const auto* d = std::get_if<net::FilingDeferred>(&r)) {
            if (!accepted_.contains(d->filingId)) deferred_[d->filingId] = *d;
        }
        changed_.notify_all();
    }
    // Waits until every id has an outcome (accepted, or deferred at least once) or the time is up.
    void waitForAll(const std::set<std::string>& ids, std::chrono::seconds timeout)
    {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] {
            for (const auto& id : ids)
                if (!accepted_.contains(id) && !deferred_.contains(id)) return false;
            return true;
        });
    }
    std::map<std::string, net::FilingAccepted> accepted() const
    {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    std::map<std::string, net::FilingDeferred> deferred() const
    {
        std::lock_guard lock(mutex_);
        return deferred_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, net::FilingAccepted> accepted_;
    std::map<std::string, net::FilingDeferred> deferred_;
};

json acceptedJson(const net::FilingAccepted& a)
{
    return { { "filingId", a.filingId }, { "caseNumber", a.caseNumber },
        { "verificationCode", a.verificationCode }, { "initialReportDue", a.initialReportDue },
        { "resultReportDue", a.resultReportDue } };
}

int fileCommand(const Args& args)
{
    const auto configFile = args.get("config");
    const auto formId = args.get("form");
    const auto answersFile = args.get("answers");
    if (!configFile || !formId || !answersFile) return usage();
    const int wait = std::stoi(args.get("wait").value_or("0"));
    const bool anonymous = args.switches.contains("anonymous");

    const auto config = net::loadForwarderConfig(*configFile);
    json filing = buildFiling(shensu::kiosk::parseForm(findForm(*configFile, *formId)),
        readJson(*answersFile), anonymous, config.kioskId);
    if (args.switches.contains("dry-run")) {
        // What would be sealed, and nothing stored.
        std::cout << filing.dump() << '\n';
        return 0;
    }
    Results results;
    net::Forwarder forwarder(config, std::ref(results));
    const std::string id = forwarder.store(filing); // throws StoreError: nothing stored
    filing = nullptr;
    json out { { "filingId", id }, { "stored", true } };
    if (wait > 0) {
        // One deadline for both waits: --wait is the whole time, not twice it.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
        results.waitForAll({ id }, std::chrono::seconds(wait));
        // Only an accepted filing counts; a first deferral still leaves time for a retry.
        while (!results.accepted().contains(id) && std::chrono::steady_clock::now() < deadline
            && forwarder.pendingCount() > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (const auto accepted = results.accepted(); accepted.contains(id)) {
            out.update(acceptedJson(accepted.at(id)));
            out["delivered"] = true;
        } else {
            out["delivered"] = false;
            const auto deferred = results.deferred();
            if (deferred.contains(id)) out["reason"] = deferred.at(id).reason;
        }
    }
    std::cout << out.dump() << '\n';
    return 0;
}

long long ageSeconds(net::Clock::time_point since)
{
    return std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::seconds>(net::Clock::now() - since).count());
}

std::string isoUtc(net::Clock::time_point t)
{
    const std::time_t seconds = net::Clock::to_time_t(t);
    std::tm tm {};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

int outboxStatus(const Args& args)
{
    const auto configFile = args.get("config");
    if (!configFile || args.values.size() != 1) return usage();
    const auto config = net::loadForwarderConfig(*configFile);
    json out { { "pending", 0 }, { "oldestAgeSeconds", nullptr }, { "held", 0 },
        { "oldestHeldAgeSeconds", nullptr } };
    if (fs::exists(config.outboxPath)) {
        net::Outbox outbox(config.outboxPath);
        out["pending"] = outbox.count();
        if (const auto oldest = outbox.oldestCreatedAt())
            out["oldestAgeSeconds"] = ageSeconds(*oldest);
        out["held"] = outbox.heldCount();
        if (const auto oldest = outbox.oldestHeldAt())
            out["oldestHeldAgeSeconds"] = ageSeconds(*oldest);
    }
    std::cout << out.dump() << '\n';
    return 0;
}

// One JSON line per held filing: id, reason code, when it was held and stored, attempts, the
// leased case number if it carries one. Nothing of the sealed content.
int outboxListHeld(const Args& args)
{
    const auto configFile = args.get("config");
    if (!configFile || args.values.size() != 1) return usage();
    const auto config = net::loadForwarderConfig(*configFile);
    if (!fs::exists(config.outboxPath)) return 0;
    net::Outbox outbox(config.outboxPath);
    for (const auto& h : outbox.held()) {
        json line { { "filingId", h.id }, { "reason", h.reason }, { "heldAt", isoUtc(h.heldAt) },
            { "storedAt", isoUtc(h.createdAt) }, { "attempts", h.attempts } };
        if (!h.caseNumber.empty()) line["caseNumber"] = h.caseNumber;
        std::cout << line.dump() << '\n';
    }
    return 0;
}

// Puts held filings back in the queue. Works beside a running kiosk (SQLite WAL, busy timeout):
// its forwarder looks for them within retryMaxDelayMs. Exit 3 when no held filing had that id.
int outboxRetry(const Args& args)
{
    const auto configFile = args.get("config");
    const auto id = args.get("id");
    const bool all = args.switches.contains("all");
    if (!configFile || id.has_value() == all) return usage();
    const auto config = net::loadForwarderConfig(*configFile);
    std::size_t released = 0;
    if (fs::exists(config.outboxPath))
        released = net::Outbox(config.outboxPath).release(id, net::Clock::now());
    std::cout << json { { "released", released } }.dump() << '\n';
    return released == 0 && id ? 3 : 0;
}

int outboxFlush(const Args& args)
{
    const auto configFile = args.get("config");
    if (!configFile) return usage();
    const int timeout = std::stoi(args.get("timeout").value_or("60"));
    const auto config = net::loadForwarderConfig(*configFile);
    // The forwarder makes every row due when it starts, so each is tried once now; we wait for
    // each one's first outcome (or the timeout). The ids are read once the forwarder holds the
    // outbox (OutboxBusy otherwise), so no other process can delete a row we wait for.
    Results results;
    std::size_t pending = 0;
    std::size_t held = 0;
    {
        net::Forwarder forwarder(config, std::ref(results));
        const auto ids = net::Outbox(config.outboxPath).ids();
        const std::set<std::string> waiting(ids.begin(), ids.end());
        results.waitForAll(waiting, std::chrono::seconds(timeout));
        pending = forwarder.pendingCount();
        held = forwarder.heldCount();
    }
    const auto accepted = results.accepted();
    const auto deferred = results.deferred();
    json reasons = json::array();
    std::set<std::string> seen;
    for (const auto& [id, d] : deferred)
        if (seen.insert(d.reason).second) reasons.push_back(d.reason);
    json out { { "attempted", accepted.size() + deferred.size() }, { "delivered", accepted.size() },
        { "deferred", deferred.size() }, { "pending", pending }, { "held", held },
        { "reasons", reasons } };
    std::cout << out.dump() << '\n';
    return pending == 0 && held == 0 ? 0 : 3;
}

int heartbeatCommand(const Args& args)
{
    const auto configFile = args.get("config");
    if (!configFile) return usage();
    const auto config = net::loadForwarderConfig(*configFile);
    const net::protocol::Heartbeat heartbeat
        = net::outboxHeartbeat(config.outboxPath, args.get("version").value_or("shensu-ctl"));
    const std::string failure = net::sendHeartbeat(config, heartbeat);
    json out { { "sent", failure.empty() }, { "outboxDepth", heartbeat.outboxDepth },
        { "oldestOutboxAgeSeconds", heartbeat.oldestOutboxAgeSeconds },
        { "heldFilings", heartbeat.heldFilings } };
    if (!failure.empty()) out["reason"] = failure;
    std::cout << out.dump() << '\n';
    return failure.empty() ? 0 : 3;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) return usage();
    const std::string command = argv[1];
    try {
        if (command == "file") {
            const auto args = parseArgs(
                argc, argv, 2, { "config", "form", "answers", "wait" }, { "anonymous", "dry-run" });
            return args ? fileCommand(*args) : usage();
        }
        if (command == "heartbeat") {
            const auto args = parseArgs(argc, argv, 2, { "config", "version" }, {});
            return args ? heartbeatCommand(*args) : usage();
        }
        if (command == "outbox" && argc >= 3) {
            const std::string sub = argv[2];
            if (sub == "status") {
                const auto args = parseArgs(argc, argv, 3, { "config" }, {});
                return args ? outboxStatus(*args) : usage();
            }
            if (sub == "list-held") {
                const auto args = parseArgs(argc, argv, 3, { "config" }, {});
                return args ? outboxListHeld(*args) : usage();
            }
            if (sub == "retry") {
                const auto args = parseArgs(argc, argv, 3, { "config", "id" }, { "all" });
                return args ? outboxRetry(*args) : usage();
            }
            if (sub == "flush") {
                const auto args = parseArgs(argc, argv, 3, { "config", "timeout" }, {});
                return args ? outboxFlush(*args) : usage();
            }
        }
    } catch (const net::OutboxBusy& e) {
        // The kiosk's own Forwarder is running: a second one would race it for the same rows
        // and could take the receipt the filer at the kiosk is waiting for.
        std::cerr << "shensu-ctl: " << e.what() << "; stop the kiosk app first\n";
        return 4;
    } catch (const std::exception& e) {
        std::cerr << "shensu-ctl: " << e.what() << '\n';
        return 1;
    }
    return usage();
}
