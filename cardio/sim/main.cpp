// shensu-cardsim: simulated smart cards on vpcd's virtual readers, driven over a control socket
// (contract 1).
#include "apdu_log.hpp"
#include "citizen_pki.hpp"
#include "control.hpp"
#include "vpcd_slot.hpp"
#include "wait_ready.hpp"

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <sys/signalfd.h>
#include <unistd.h>

namespace
{
constexpr std::size_t SLOT_COUNT
    = 2; // Debian's vpcd: one reader.conf entry = 2 slots (PORT, PORT+1)

int usage()
{
    std::cerr << "usage: shensu-cardsim --vpcd-port PORT --control SOCKPATH --log LOGPATH [--card "
                 "KIND[@SLOT]]...\n"
                 "                      [--citizen-pki DIR]   (DIR/citizen.{key,pem}; else made at "
                 "run time)\n"
                 "       shensu-cardsim --wait-ready --control SOCKPATH [--timeout-ms MS]\n"
                 "kinds: health, unknown, health-garbled, health-pulled, citizen, citizen-1try, "
                 "citizen-blocked,\n"
                 "       citizen-corrupt, citizen-pulled-verify, citizen-pulled-sign, and with "
                 "--citizen-pki: citizen-expired, citizen-revoked,\n"
                 "       citizen-unknown-person, citizen-departed, citizen-mismatch, "
                 "citizen-encipher\n";
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    using namespace shensu::cardsim;
    std::string control, logPath, citizenPki;
    long port = -1;
    long timeoutMs = 10000;
    bool waitMode = false;
    std::vector<std::string> cards;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
                return argv[++i];
            };
            if (arg == "--vpcd-port")
                port = std::stol(value());
            else if (arg == "--control")
                control = value();
            else if (arg == "--log")
                logPath = value();
            else if (arg == "--card")
                cards.push_back(value());
            else if (arg == "--citizen-pki")
                citizenPki = value();
            else if (arg == "--wait-ready")
                waitMode = true;
            else if (arg == "--timeout-ms")
                timeoutMs = std::stol(value());
            else
                throw std::invalid_argument("unknown argument " + arg);
        }
    } catch (const std::exception& error) {
        std::cerr << "shensu-cardsim: " << error.what() << "\n";
        return usage();
    }
    if (waitMode) {
        if (control.empty()) return usage();
        return waitReady(control, std::chrono::milliseconds(timeoutMs));
    }
    if (control.empty() || logPath.empty() || port <= 0 || port > 65534) return usage();

    // Signals arrive through a signalfd in the control loop; block them before any thread starts.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    const int signalFd = signalfd(-1, &stopSignals, SFD_CLOEXEC);
    if (signalFd < 0) {
        std::cerr << "shensu-cardsim: signalfd failed\n";
        return 1;
    }

    try {
        if (!citizenPki.empty()) loadCitizenPki(citizenPki);
        ApduLog log(logPath);
        std::vector<std::unique_ptr<VpcdSlot>> slots;
        for (std::size_t i = 0; i < SLOT_COUNT; ++i) {
            slots.push_back(std::make_unique<VpcdSlot>(
                static_cast<int>(i), static_cast<std::uint16_t>(port + static_cast<long>(i)), log));
        }
        for (const auto& card : cards) {
            const auto at = card.find('@');
            const std::string request = "insert " + card.substr(0, at)
                + (at == std::string::npos ? "" : " " + card.substr(at + 1));
            const std::string reply = handleControlLine(request, slots);
            if (reply != "ok") {
                std::cerr << "shensu-cardsim: --card " << card << ": " << reply << "\n";
                return 2;
            }
        }
        serveControl(control, signalFd, slots);
    } catch (const std::exception& error) {
        std::cerr << "shensu-cardsim: " << error.what() << "\n";
        close(signalFd);
        return 1;
    }
    close(signalFd);
    return 0;
}
