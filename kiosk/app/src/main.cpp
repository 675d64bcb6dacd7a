// shensu-kiosk: parses the command line, loads the form and translations, starts the workers, runs
// the UI thread.
#include "kiosk/app/automation.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/shell.hpp"
#include "kiosk/core/form.hpp"
#include "stop_signals.hpp"
#include "workers.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include <SDL.h>
#include <sys/prctl.h>
#include <sys/resource.h>

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;

namespace
{

constexpr const char* USAGE
    = "usage: shensu-kiosk [--config FILE] [--headless --script FILE|-] [--windowed] [--software]\n"
      "                    [--size WxH] [--scale S] [--screenshot-dir DIR] [--demo-card-keys]\n";

struct Options {
    std::optional<std::filesystem::path> config;
    DisplayOptions display;
    std::optional<std::string> script;
    std::filesystem::path screenshotDir;
    bool demoCardKeys = false;
};

bool parseSize(const std::string& text, int& w, int& h)
{
    return std::sscanf(text.c_str(), "%dx%d", &w, &h) == 2 && w >= 320 && h >= 240 && w <= 8192
        && h <= 8192;
}

std::optional<Options> parseArgs(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (a == "--config") {
            auto v = value();
            if (!v) return std::nullopt;
            o.config = *v;
        } else if (a == "--headless") {
            o.display.headless = true;
        } else if (a == "--windowed") {
            o.display.windowed = true;
        } else if (a == "--software") {
            o.display.software = true;
        } else if (a == "--script") {
            o.script = value();
            if (!o.script) return std::nullopt;
        } else if (a == "--size") {
            auto v = value();
            if (!v || !parseSize(*v, o.display.width, o.display.height)) return std::nullopt;
        } else if (a == "--scale") {
            // Display pixels per logical pixel (default: from the display's DPI; headless 1).
            auto v = value();
            if (!v) return std::nullopt;
            char* end = nullptr;
            o.display.scale = std::strtof(v->c_str(), &end);
            if (end == v->c_str() || *end != '\0' || o.display.scale < 1.0f
                || o.display.scale > 4.0f)
                return std::nullopt;
        } else if (a == "--screenshot-dir") {
            auto v = value();
            if (!v) return std::nullopt;
            o.screenshotDir = *v;
        } else if (a == "--demo-card-keys") {
            o.demoCardKeys = true;
        } else {
            return std::nullopt;
        }
    }
    if (o.script.has_value() != o.display.headless)
        return std::nullopt; // scripts drive the headless kiosk only
    // Headless, the surface is exactly --size: at scale S it must hold S times 1280x800, or the
    // screens (laid out for 1280x800 logical pixels) are cut off.
    if (o.display.headless && o.display.scale > 0
        && (static_cast<float>(o.display.width) < 1280.0f * o.display.scale - 0.5f
            || static_cast<float>(o.display.height) < 800.0f * o.display.scale - 0.5f)) {
        std::cerr << "shensu-kiosk: --scale " << o.display.scale << " needs a --size of at least "
                  << static_cast<int>(std::ceil(1280.0f * o.display.scale - 0.5f)) << "x"
                  << static_cast<int>(std::ceil(800.0f * o.display.scale - 0.5f)) << '\n';
        return std::nullopt;
    }
    return o;
}

// A complaint kiosk's memory holds people's complaints: never write it to a core file.
void forbidCoreDumps()
{
    const rlimit none { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__)
    // Also keeps other processes of the same user from ptrace-reading us. (LeakSanitizer needs
    // ptrace: skipped there.)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

} // namespace

int main(int argc, char** argv)
{
    StopSignals stopSignals; // before any thread starts
    forbidCoreDumps();
    const auto options = parseArgs(argc, argv);
    if (!options) {
        std::cerr << USAGE;
        return 2;
    }
    try {
        const KioskConfig config = options->config ? loadConfig(*options->config) : KioskConfig {};
        auto catalogue = Catalogue::load(config.assetsDir / "i18n");
        auto form
            = std::make_shared<const Form>(loadForm(config.assetsDir / "forms" / config.formFile));
        catalogue.loadFormStrings(config.assetsDir / "i18n", form->id);
        if (!config.hasNetwork())
            std::clog << "kiosk: no network part configured: filings cannot be saved\n";

        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); // StopSignals owns SIGINT and SIGTERM
        State initial = initialState(form, config.kioskId, config.language);
        initial.sessionIdle = config.sessionIdle;
        initial.sessionWarning = config.sessionWarning;
        initial.noticeShown = config.noticeShown;
        initial.pinPadShuffle = config.pinPadShuffle;
        initial.readerPinTimeoutSeconds = static_cast<int>(config.readerPinTimeout.count());
        // The base font atlas, once built, is kept with the kiosk's durable state (no personal
        // data: only the catalogue's, the form's and Big5 level 1's characters).
        DisplayOptions display = options->display;
        display.fontCacheDir = config.stateDir;
        Shell shell(display, std::move(catalogue), std::move(initial));
        stopSignals.onStop([&shell] {
            SDL_Event quit {};
            quit.type = SDL_QUIT;
            SDL_PushEvent(&quit);
            shell.queue().wake(); // drivers SDL cannot block on wait on the queue instead
        });
        struct ForgetShell {
            StopSignals& signals;
            ~ForgetShell() { signals.onStop(nullptr); }
        } forgetShell { stopSignals };
        CardWorker cards(
            shell.queue(), { config.pkcs11Module, config.stateDir, config.readerPinTimeout });
        NetworkWorker network(shell.queue(), config);
        shell.setCommandSink([&](const Command& c) {
            if (const auto* r = std::get_if<ReadHealthCard>(&c)) cards.read(r->reader);
            if (const auto* r = std::get_if<ReadCitizenCard>(&c)) cards.readCitizen(r->reader);
            if (std::holds_alternative<RequestLoginChallenge>(c)) network.requestChallenge();
            if (const auto* l = std::get_if<LoginWithCitizenCard>(&c)) {
                // The PIN goes from the pad's locked buffer to the card worker's, and nowhere else.
                if (l->onReaderPinPad) {
                    shell.pinPad().wipe(); // nothing typed on screen for a keypad reader
                } else {
                    cards.handoff().put(shell.pinPad());
                }
                cards.loginAndSign(*l);
            }
            if (const auto* a = std::get_if<AskNhiStatus>(&c))
                network.nhiStatus(a->cardNumber, a->generation);
            if (const auto* n = std::get_if<LoginWithNhiPassword>(&c)) {
                // The registration password goes from the screen's locked buffer to the network
                // worker's, and nowhere else.
                // Tied to this attempt: a job of the person before can never take it.
                network.passwordHandoff().put(shell.nhiPassword(), n->generation, n->cardNumber);
                network.nhiLogin(n->cardNumber, n->generation);
            }
            if (std::holds_alternative<ForgetPin>(c)) {
                cards.handoff().clear();
                network.passwordHandoff().clear();
            }
            if (const auto* v = std::get_if<VerifyCardLogin>(&c))
                network.verifyCardLogin(v->challengeId, v->certificateDer, v->signature);
            if (const auto* s = std::get_if<StoreFiling>(&c)) network.store(s->filing);
            if (const auto* q = std::get_if<QueryCaseStatus>(&c)) network.queryCaseStatus(*q);
            if (const auto* s = std::get_if<SignAndStoreFiling>(&c)) {
                if (s->onReaderPinPad) {
                    shell.pinPad().wipe();
                } else {
                    cards.handoff().put(shell.pinPad());
                }
                network.storeSigned(
                    s->filing, cards.filingSigner(*s), [&cards] { cards.handoff().clear(); });
            }
        });

        if (options->script) {
            reportEvents(shell, std::cout);
            if (*options->script == "-")
                return runScript(shell, std::cin, std::cout, options->screenshotDir);
            std::ifstream script(*options->script);
            if (!script) throw std::runtime_error("cannot open script " + *options->script);
            return runScript(shell, script, std::cout, options->screenshotDir);
        }
        if (options->demoCardKeys) {
            // Demo only: F2 puts the simulated health card in the reader, F3 takes it out (off the
            // UI thread).
            shell.setKeyHandler([](int key) {
                const char* line = key == SDLK_F2 ? "insert health 0"
                    : key == SDLK_F3              ? "remove 0"
                                                  : nullptr;
                if (line == nullptr) return;
                std::thread([line] {
                    std::string reply;
                    std::string error;
                    if (!cardSimulatorRequest(line, reply, error))
                        std::clog << "demo: " << error << '\n';
                }).detach();
            });
        }
        return shell.run();
    } catch (const std::exception& e) {
        std::clog << "shensu-kiosk: " << e.what() << '\n';
        return 1;
    }
}
