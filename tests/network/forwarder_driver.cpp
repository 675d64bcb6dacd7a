// A kiosk stand-in for the kill test: stores filings `from`..`to`-1 through a Forwarder (marker =
// the filing's number), printing "stored N" after each store() returns, then waits until central
// has answered for everything and prints "drained". Killed with SIGKILL at random points by
// fault_test.cpp.
#include "../support/forwarder_config.hpp"

#include <network/forwarder.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv)
{
    if (argc != 6) {
        std::cerr << "usage: forwarder_driver OUTBOX PORT PKIDIR FROM TO\n";
        return 2;
    }
    auto c = shensu::testing::kioskForwarderConfig(argv[3], std::stoi(argv[2]));
    c.outboxPath = argv[1];
    c.firstRetryDelay = std::chrono::milliseconds(50);
    c.maxRetryDelay = std::chrono::milliseconds(200);
    c.parallelPosts = 3; // kills also land between concurrent posts
    shensu::network::Forwarder forwarder(c, nullptr);
    const int from = std::stoi(argv[4]), to = std::stoi(argv[5]);
    for (int i = from; i < to; ++i) {
        forwarder.store({ { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } },
            { "answers",
                { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
                    { "facts", "測試用的申訴內容 #" + std::to_string(i) } } },
            { "filer", "anonymous" }, { "kioskId", "KIOSK-TEST-01" } });
        std::cout << "stored " << i << std::endl;
    }
    while (forwarder.pendingCount() > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::cout << "drained" << std::endl;
    return 0;
}
