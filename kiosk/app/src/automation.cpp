// The automation protocol (docs/automation.md): script commands drive the shell; state changes
// become events.
#include "kiosk/app/automation.hpp"

#include "kiosk/core/text.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include <SDL.h>
#include <imgui.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace shensu::kiosk::app
{

using nlohmann::json;

namespace
{

    void emit(std::ostream& out, const json& event)
    {
        out << event.dump() << '\n';
        out.flush();
    }

    const char* kindName(cardio::CardKind kind)
    {
        switch (kind) {
        case cardio::CardKind::HEALTH_CARD:
            return "health";
        case cardio::CardKind::CITIZEN_CARD:
            return "citizen";
        case cardio::CardKind::UNKNOWN:
            return "unknown";
        }
        return "unknown";
    }

    const char* codeName(cardio::CardErrorCode code)
    {
        using C = cardio::CardErrorCode;
        switch (code) {
        case C::SERVICE_UNAVAILABLE:
            return "SERVICE_UNAVAILABLE";
        case C::NO_READERS:
            return "NO_READERS";
        case C::NO_CARD:
            return "NO_CARD";
        case C::CARD_REMOVED:
            return "CARD_REMOVED";
        case C::CARD_RESET:
            return "CARD_RESET";
        case C::COMMUNICATION_FAILED:
            return "COMMUNICATION_FAILED";
        case C::UNEXPECTED_RESPONSE:
            return "UNEXPECTED_RESPONSE";
        case C::REFUSED:
            return "REFUSED";
        case C::UNSUPPORTED_CARD:
            return "UNSUPPORTED_CARD";
        case C::CANCELLED:
            return "CANCELLED";
        case C::PIN_INCORRECT:
            return "PIN_INCORRECT";
        case C::PIN_LOCKED:
            return "PIN_LOCKED";
        case C::PIN_LEN_RANGE:
            return "PIN_LEN_RANGE";
        case C::PIN_INVALID:
            return "PIN_INVALID";
        case C::PIN_EXPIRED:
            return "PIN_EXPIRED";
        case C::MODULE_UNAVAILABLE:
            return "MODULE_UNAVAILABLE";
        case C::NO_CERTIFICATE:
            return "NO_CERTIFICATE";
        case C::PIN_PAD_TIMEOUT:
            return "PIN_PAD_TIMEOUT";
        case C::INTERNAL:
            return "INTERNAL";
        }
        return "INTERNAL";
    }

    // Card events for the script: what happened, never whose card (no name, no number).
    void reportCard(std::ostream& out, const Event& event)
    {
        if (const auto* e = std::get_if<CardInserted>(&event)) {
            emit(out,
                { { "event", "card" }, { "type", "inserted" }, { "reader", e->reader },
                    { "kind", kindName(e->kind) } });
        } else if (const auto* r = std::get_if<CardRemoved>(&event)) {
            emit(out, { { "event", "card" }, { "type", "removed" }, { "reader", r->reader } });
        } else if (const auto* h = std::get_if<HealthCardRead>(&event)) {
            emit(out, { { "event", "card" }, { "type", "read" }, { "reader", h->reader } });
        } else if (const auto* f = std::get_if<CardReadFailed>(&event)) {
            emit(out,
                { { "event", "card" }, { "type", "read_failed" }, { "code", codeName(f->code) } });
        } else if (const auto* c = std::get_if<CitizenCardReady>(&event)) {
            emit(out,
                { { "event", "card" }, { "type", "citizen_ready" }, { "reader", c->reader },
                    { "triesLeft", c->triesLeft }, { "blocked", c->blocked } });
        } else if (const auto* p = std::get_if<PinRejected>(&event)) {
            emit(out,
                { { "event", "card" }, { "type", "pin_rejected" }, { "reader", p->reader },
                    { "triesLeft", p->triesLeft }, { "blocked", p->blocked } });
        } else if (const auto* g = std::get_if<CitizenCardSigned>(&event)) {
            emit(out, { { "event", "card" }, { "type", "signed" }, { "reader", g->reader } });
        } else if (std::holds_alternative<LoginChallengeFailed>(event)) {
            emit(out, { { "event", "login" }, { "result", "challenge_failed" } });
        } else if (std::holds_alternative<CardLoginAccepted>(event)) {
            emit(out, { { "event", "login" }, { "result", "ok" } }); // never the name
        } else if (const auto* st = std::get_if<NhiStatusAnswered>(&event)) {
            // Central's word on the card before any password: never the number or the name.
            json j { { "event", "nhi_status" }, { "result", st->result } };
            if (st->result == "ok") j["triesLeft"] = st->triesLeft;
            emit(out, j);
        } else if (const auto* n = std::get_if<NhiLoginAnswered>(&event)) {
            // Central's verdict on a registration password: never the name, number or password.
            json j { { "event", "login" }, { "method", "health_card" }, { "result", n->result } };
            if (n->result == "wrong_password") j["triesLeft"] = n->triesLeft;
            emit(out, j);
        } else if (const auto* r2 = std::get_if<CardLoginRefused>(&event)) {
            emit(out, { { "event", "login" }, { "result", r2->result } });
        } else if (const auto* s = std::get_if<CardService>(&event)) {
            json j { { "event", "card" }, { "type", "service" }, { "available", s->available } };
            if (!s->available) j["code"] = codeName(s->code);
            emit(out, j);
        }
    }

} // namespace

namespace
{
    void reportPin(Shell& shell, std::ostream& out, const State& state)
    {
        json j { { "event", "pin" }, { "purpose", state.signingFiling ? "sign" : "login" },
            { "triesLeft", state.pinTriesLeft },
            { "layout", std::string(shell.ui().pinLayout.begin(), shell.ui().pinLayout.end()) } };
        if (state.readerPinPad) {
            // A PIN-pad reader: the screen says to type on the reader, and for how long.
            j["onReader"] = true;
            j["timeoutSeconds"] = state.readerPinTimeoutSeconds;
            j["body"] = shell.catalogue().format(state.language, "pin.reader_body",
                { { "seconds", std::to_string(state.readerPinTimeoutSeconds) } });
        }
        if (!state.pinMessageKey.empty()) {
            j["key"] = state.pinMessageKey;
            j["message"] = shell.catalogue().text(state.language, state.pinMessageKey);
        }
        emit(out, j);
    }
    // The registration-password screen: tries left (0 = not known yet) and the message shown.
    // Never a character typed, nor how many.
    void reportNhiPassword(Shell& shell, std::ostream& out, const State& state)
    {
        json j { { "event", "nhi_password" }, { "triesLeft", state.nhiTriesLeft } };
        if (!state.nhiMessageKey.empty()) {
            j["key"] = state.nhiMessageKey;
            j["message"] = shell.catalogue().text(state.language, state.nhiMessageKey);
        }
        emit(out, j);
    }
} // namespace

void reportEvents(Shell& shell, std::ostream& out)
{
    emit(out, { { "event", "screen" }, { "screen", screenId(shell.state().screen) } });
    shell.setObserver([&shell, &out](const State& before, const State& after, const Event& event) {
        const Catalogue& c = shell.catalogue();
        reportCard(out, event);
        if (const auto* a = std::get_if<FilingAccepted>(&event)) {
            // Central answered for some filing (this one, or one the outbox kept from earlier).
            emit(out,
                { { "event", "delivered" }, { "filingId", a->filingId },
                    { "caseNumber", a->caseNumber }, { "verificationCode", a->verificationCode } });
        }
        if (std::holds_alternative<ReviewForm>(event)
            || std::holds_alternative<ConfirmFiling>(event)) {
            for (const auto& issue : after.issues) {
                emit(out,
                    { { "event", "validation" }, { "field", issue.field },
                        { "key", issue.messageKey },
                        { "message", c.format(after.language, issue.messageKey, issue.params) } });
            }
        }
        if (after.idleCountdown != before.idleCountdown) {
            // The idle countdown: its first value, every second, and 0 when it closes.
            emit(out, { { "event", "countdown" }, { "seconds", after.idleCountdown } });
        }
        if (!after.noticeKey.empty() && after.noticeKey != before.noticeKey) {
            emit(out,
                { { "event", "notice" }, { "key", after.noticeKey },
                    { "message", c.text(after.language, after.noticeKey) } });
        }
        // The case query's message under the keypads (the kiosk's own check or central's answer).
        if (after.screen == Screen::CASE_QUERY && !after.queryMessageKey.empty()
            && (after.queryMessageKey != before.queryMessageKey
                || std::holds_alternative<SubmitQuery>(event)
                || std::holds_alternative<CaseQueryAnswered>(event))) {
            emit(out,
                { { "event", "case_query" }, { "key", after.queryMessageKey },
                    { "message",
                        c.format(after.language, after.queryMessageKey,
                            { { "minutes", std::to_string(after.queryRetryMinutes) } }) } });
        }
        // The PIN pad: tries left, the message under it, and the key order (not secret: it is
        // on the screen). Never a digit entered.
        const bool newPad = after.screen == Screen::PIN_ENTRY
            && (before.screen != Screen::PIN_ENTRY
                || before.pinEntryGeneration != after.pinEntryGeneration
                || before.pinMessageKey != after.pinMessageKey);
        const bool newPassword = after.screen == Screen::NHI_PASSWORD
            && (before.screen != Screen::NHI_PASSWORD
                || before.nhiPasswordGeneration != after.nhiPasswordGeneration
                || before.nhiMessageKey != after.nhiMessageKey);
        if (before.screen == after.screen) {
            if (newPad) reportPin(shell, out, after);
            if (newPassword) reportNhiPassword(shell, out, after);
            // Shown again when its message changes: another error, or the same one in another
            // language.
            const bool messageChanged
                = after.cardErrorKey != before.cardErrorKey || after.language != before.language;
            if (after.screen == Screen::CARD_ERROR && messageChanged) {
                emit(out,
                    { { "event", "error" }, { "screen", "card_error" },
                        { "key", after.cardErrorKey },
                        { "message", c.text(after.language, after.cardErrorKey) } });
            }
            return;
        }
        emit(out, { { "event", "screen" }, { "screen", screenId(after.screen) } });
        if (newPad) reportPin(shell, out, after);
        if (newPassword) reportNhiPassword(shell, out, after);
        switch (after.screen) {
        case Screen::SUBMITTED:
            emit(out,
                { { "event", "submitted" }, { "filingId", after.filingId },
                    { "caseNumber", after.caseNumber },
                    { "verificationCode", after.verificationCode } });
            break;
        case Screen::QUEUED: {
            nlohmann::json queued { { "event", "queued" }, { "filingId", after.filingId },
                { "shortId", shortFilingId(after.filingId) } };
            if (!after.caseNumber.empty()) { // sealed with a leased case number
                queued["caseNumber"] = after.caseNumber;
                queued["verificationCode"] = after.verificationCode;
            }
            emit(out, queued);
            break;
        }
        case Screen::CASE_STATUS: {
            // What the status screen shows, as shown (the dates in the session's language).
            const CaseStatusView& v = after.queryStatus;
            const auto date = [&](const std::string& text) {
                const Params p = caseDateParams(text);
                return p.empty() ? std::string {} : c.format(after.language, "case_status.date", p);
            };
            const std::string stateKey = "case_status.state." + v.status;
            const std::string shown
                = after.language != Language::ZH_TW && c.has(after.language, stateKey)
                ? c.text(after.language, stateKey)
                : v.statusText;
            emit(out,
                { { "event", "case_status" }, { "caseNumber", v.caseNumber },
                    { "status", v.status }, { "statusText", shown },
                    { "receivedAt", date(v.receivedAt) }, { "statusAt", date(v.statusAt) },
                    { "initialReportDue", date(v.initialReportDue) },
                    { "resultReportDue", date(v.resultReportDue) },
                    { "resultExtensions", v.resultExtensions } });
            break;
        }
        case Screen::SUBMIT_ERROR:
            emit(out,
                { { "event", "error" }, { "screen", "submit_error" },
                    { "key", "submit_error.body" },
                    { "message", c.text(after.language, "submit_error.body") } });
            break;
        case Screen::CARD_ERROR:
            emit(out,
                { { "event", "error" }, { "screen", "card_error" }, { "key", after.cardErrorKey },
                    { "message", c.text(after.language, after.cardErrorKey) } });
            break;
        case Screen::PIN_ENTRY:
            break; // reported after the frame that lays out the pad
        case Screen::PIN_LAST_ATTEMPT:
            emit(out,
                { { "event", "warning" }, { "screen", "pin_last_attempt" },
                    { "key", "pin_last_attempt.body" }, { "triesLeft", after.pinTriesLeft },
                    { "message", c.text(after.language, "pin_last_attempt.body") } });
            break;
        case Screen::NHI_LAST_ATTEMPT:
            emit(out,
                { { "event", "warning" }, { "screen", "nhi_last_attempt" },
                    { "key", "nhi_last_attempt.body" }, { "triesLeft", after.nhiTriesLeft },
                    { "message", c.text(after.language, "nhi_last_attempt.body") } });
            break;
        case Screen::NHI_LOCKED:
            emit(out,
                { { "event", "error" }, { "screen", "nhi_locked" }, { "key", "nhi_locked.body" },
                    { "message", c.text(after.language, "nhi_locked.body") } });
            break;
        case Screen::CARD_BLOCKED:
            emit(out,
                { { "event", "error" }, { "screen", "card_blocked" },
                    { "key", "card_blocked.body" },
                    { "message", c.text(after.language, "card_blocked.body") } });
            break;
        case Screen::LOGIN_REFUSED:
            emit(out,
                { { "event", "error" }, { "screen", "login_refused" },
                    { "key", after.loginRefusalKey },
                    { "message", c.text(after.language, after.loginRefusalKey) } });
            break;
        default:
            break;
        }
    });
}

bool cardSimulatorRequest(const std::string& line, std::string& reply, std::string& error)
{
    const char* path = std::getenv("SHENSU_CARDSIM_CTL");
    if (path == nullptr || *path == '\0') {
        error = "SHENSU_CARDSIM_CTL is not set (run under scripts/with-virtual-reader)";
        return false;
    }
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (std::strlen(path) >= sizeof addr.sun_path) {
        error = "SHENSU_CARDSIM_CTL path too long";
        return false;
    }
    std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    bool ok = false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        error = std::string("connect to card simulator: ") + std::strerror(errno);
    } else {
        const std::string request = line + "\n";
        if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
            error = "write to card simulator failed";
        } else {
            reply.clear();
            char c = 0;
            while (::read(fd, &c, 1) == 1 && c != '\n')
                reply += c;
            ok = true;
        }
    }
    ::close(fd);
    return ok;
}

namespace
{
    struct ScriptError {
        std::string message;
    };

    std::string need(const json& cmd, const char* key)
    {
        if (!cmd.contains(key) || !cmd.at(key).is_string())
            throw ScriptError { std::string("missing string \"") + key + "\"" };
        return cmd.at(key).get<std::string>();
    }

    void waitForScreen(Shell& shell, const std::string& id, std::chrono::milliseconds timeout)
    {
        Screen wanted {};
        if (!parseScreenId(id, wanted)) throw ScriptError { "unknown screen \"" + id + "\"" };
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        shell.pump();
        while (shell.state().screen != wanted) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                throw ScriptError { "timed out after " + std::to_string(timeout.count())
                    + " ms waiting for screen " + id + " (on " + screenId(shell.state().screen)
                    + ")" };
            }
            if (shell.waitForActivity(left)) shell.frame();
        }
        shell.frame();
    }

    // Waits until the card worker reports a card in some reader ("present") or none at all
    // ("absent").
    void waitForCard(Shell& shell, const std::string& wanted, std::chrono::milliseconds timeout)
    {
        if (wanted != "present" && wanted != "absent")
            throw ScriptError { "card must be present or absent" };
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        shell.pump();
        while (shell.state().cards.empty() == (wanted == "present")) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                throw ScriptError { "timed out after " + std::to_string(timeout.count())
                    + " ms waiting for a card to be " + wanted };
            if (shell.waitForActivity(left)) shell.frame();
        }
    }

    // The registration password, typed on the on-screen keyboard key by key (switching layers
    // and shift as a person would), or with "via":"keys" as a physical keyboard would send it.
    // Nothing is echoed; an error names no character.
    void typePassword(Shell& shell, const std::string& text, const std::string& via)
    {
        if (shell.state().screen != Screen::NHI_PASSWORD)
            throw ScriptError { std::string("no password field on screen ")
                + screenId(shell.state().screen) };
        if (via == "keys") {
            for (const char c : text) {
                if (c <= ' ' || c > '~')
                    throw ScriptError { "password characters must be printable ASCII" };
            }
            ImGui::GetIO().AddInputCharactersUTF8(text.c_str());
            shell.frame();
            shell.frame();
            return;
        }
        if (via != "screen") throw ScriptError { "password: via must be screen or keys" };
        std::string error;
        const auto tap = [&](const std::string& id) {
            if (!shell.tap(id, error))
                throw ScriptError { std::string("no password key on screen ")
                    + screenId(shell.state().screen) };
        };
        for (const char c : text) {
            if (c <= ' ' || c > '~')
                throw ScriptError { "password characters must be printable ASCII" };
            const bool upper = c >= 'A' && c <= 'Z';
            const bool onLetters = upper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '@' || c == '.' || c == '-';
            const bool lettersShown = shell.ui().passwordKeyboard != ui::KeyboardMode::SYMBOLS;
            if (onLetters && !lettersShown) tap("kb.mode.english");
            if (!onLetters && lettersShown) tap("kb.mode.symbols");
            if (upper && !shell.ui().passwordShift) tap("kb.shift");
            tap(std::string("kb.") + c);
        }
    }

    // Returns false on quit.
    bool runCommand(Shell& shell, const json& cmd, std::ostream& out,
        const std::filesystem::path& screenshotDir)
    {
        const std::string name = need(cmd, "cmd");
        std::string error;
        shell.pump(); // whatever the workers said so far happens before this command
        if (name == "tap") {
            if (!shell.tap(need(cmd, "id"), error)) throw ScriptError { error };
        } else if (name == "pin") {
            // Taps the PIN pad's keys by digit, wherever the shuffle put them.
            const std::string digits = need(cmd, "digits");
            for (const char d : digits) {
                if (d < '0' || d > '9') throw ScriptError { "pin digits must be 0-9" };
                // The error names no digit: a script's PIN stays out of the kiosk's output.
                if (!shell.tap(std::string("pin.digit.") + d, error))
                    throw ScriptError { "no PIN pad key on screen "
                        + std::string(screenId(shell.state().screen)) };
            }
        } else if (name == "password") {
            typePassword(shell, need(cmd, "text"), cmd.value("via", std::string("screen")));
        } else if (name == "type") {
            if (!shell.type(need(cmd, "id"), need(cmd, "text"), error)) throw ScriptError { error };
        } else if (name == "ime") {
            // A physical keyboard's system IME, as SDL reports it:
            // {"cmd":"ime","compose":"ㄊㄞˊ"} (SDL_TEXTEDITING, drawn at the caret; "cursor" in
            // characters), {"cmd":"ime", "commit":"臺"} (SDL_TEXTINPUT into the field being
            // edited).
            SDL_Event e {};
            if (cmd.contains("compose")) {
                const std::string text = need(cmd, "compose");
                if (text.size() >= sizeof e.edit.text)
                    throw ScriptError { "ime: a composition holds at most 31 bytes" };
                e.type = SDL_TEXTEDITING;
                std::copy(text.begin(), text.end(), e.edit.text);
                e.edit.start = cmd.value("cursor", static_cast<int>(codePoints(text)));
            } else if (cmd.contains("commit")) {
                const std::string text = need(cmd, "commit");
                if (text.size() >= sizeof e.text.text)
                    throw ScriptError { "ime: a commit holds at most 31 bytes" };
                e.type = SDL_TEXTINPUT;
                std::copy(text.begin(), text.end(), e.text.text);
            } else {
                throw ScriptError { "ime needs \"compose\" or \"commit\"" };
            }
            shell.handleEvent(e);
            shell.frame();
            shell.frame();
        } else if (name == "wait" && cmd.contains("card")) {
            waitForCard(shell, need(cmd, "card"),
                std::chrono::milliseconds(cmd.value("timeout_ms", 10000)));
        } else if (name == "wait") {
            waitForScreen(shell, need(cmd, "screen"),
                std::chrono::milliseconds(cmd.value("timeout_ms", 10000)));
        } else if (name == "card") {
            const std::string action = need(cmd, "action");
            const int slot = cmd.value("slot", 0);
            std::string line;
            if (action == "insert") {
                line = "insert " + cmd.value("kind", std::string("health")) + " "
                    + std::to_string(slot);
            } else if (action == "remove") {
                line = "remove " + std::to_string(slot);
            } else {
                throw ScriptError { "card action must be insert or remove" };
            }
            std::string reply;
            if (!cardSimulatorRequest(line, reply, error)) throw ScriptError { error };
            if (reply != "ok") throw ScriptError { "card simulator answered: " + reply };
        } else if (name == "screenshot") {
            std::filesystem::path path = need(cmd, "path");
            if (path.is_relative() && !screenshotDir.empty()) path = screenshotDir / path;
            if (!shell.screenshot(path, error)) throw ScriptError { error };
            emit(out, { { "event", "screenshot" }, { "path", path.string() } });
        } else if (name == "language") {
            Language language {};
            if (!parseLanguage(need(cmd, "value"), language))
                throw ScriptError { "language must be zh-TW or en" };
            shell.dispatch(SetLanguage { language });
            shell.frame();
        } else if (name == "display") {
            // Like the home screen's buttons:
            // {"cmd":"display","text":"large","contrast":"high"}.
            const std::string text
                = cmd.value("text", shell.state().largeText ? "large" : "normal");
            const std::string contrast
                = cmd.value("contrast", shell.state().highContrast ? "high" : "normal");
            if ((text != "large" && text != "normal")
                || (contrast != "high" && contrast != "normal"))
                throw ScriptError { "display: text must be large|normal, contrast high|normal" };
            shell.dispatch(SetDisplay { text == "large", contrast == "high" });
            shell.frame();
        } else if (name == "quit") {
            return false;
        } else {
            throw ScriptError { "unknown command \"" + name + "\"" };
        }
        return true;
    }

} // namespace

namespace
{
    // Script lines from stdin arrive while the kiosk keeps working: a reader thread queues them
    // and wakes the loop. It is detached, with its state shared, because a blocked read on
    // stdin cannot be interrupted at quit.
    struct LineFeed {
        std::mutex mutex;
        std::deque<std::string> lines;
        bool ended = false;
    };

    std::shared_ptr<LineFeed> readStdinInBackground(EventQueue& queue)
    {
        auto feed = std::make_shared<LineFeed>();
        std::thread([feed, &queue] {
            std::string line;
            while (std::getline(std::cin, line)) {
                {
                    std::lock_guard lock(feed->mutex);
                    feed->lines.push_back(line);
                }
                queue.wake();
            }
            std::lock_guard lock(feed->mutex);
            feed->ended = true;
            queue.wake();
        }).detach();
        return feed;
    }

} // namespace

int runScript(Shell& shell, std::istream& script, std::ostream& out,
    const std::filesystem::path& screenshotDir)
{
    shell.frame();
    emit(out,
        { { "event", "first_frame" }, { "ms", shell.firstFrameMs() },
            // to 0.1 ms: five digits at most, never a run a PIN scan could mistake for a PIN
            { "cpu_ms", std::round(shell.firstFrameCpuMs() * 10.0) / 10.0 } });

    std::shared_ptr<LineFeed> feed;
    if (&script == &std::cin) {
        feed = readStdinInBackground(shell.queue());
    } else {
        feed = std::make_shared<LineFeed>();
        for (std::string line; std::getline(script, line);)
            feed->lines.push_back(line);
        feed->ended = true;
    }

    int number = 0;
    for (;;) {
        std::optional<std::string> line;
        bool ended = false;
        {
            std::lock_guard lock(feed->mutex);
            if (!feed->lines.empty()) {
                line = std::move(feed->lines.front());
                feed->lines.pop_front();
            }
            ended = feed->ended;
        }
        if (!line) {
            if (ended || shell.quitRequested()) return 0;
            // Between commands the kiosk lives on: card and network events are shown as they
            // come.
            if (shell.waitForActivity(std::chrono::milliseconds(1000))) shell.frame();
            continue;
        }
        ++number;
        const auto start = line->find_first_not_of(" \t\r");
        if (start == std::string::npos || (*line)[start] == '#') continue;
        try {
            const json cmd = json::parse(*line);
            if (!runCommand(shell, cmd, out, screenshotDir)) return 0;
        } catch (const ScriptError& e) {
            emit(
                out, { { "event", "script_error" }, { "line", number }, { "message", e.message } });
            return 1;
        } catch (const json::exception& e) {
            // Only the error's id: what() quotes the text it read ("last read: '...123456'"),
            // which for a broken pin line is the PIN.
            emit(out,
                { { "event", "script_error" }, { "line", number },
                    { "message",
                        "bad JSON (nlohmann::json error " + std::to_string(e.id) + ")" } });
            return 1;
        }
    }
}

} // namespace shensu::kiosk::app
