// shensu-test-postgres start|stop DIR: the PostgreSQL cluster that all the processes of one ctest
// run share (a fixture of the -pg registrations: tests/network and tests/central CMakeLists.txt),
// so each test pays for its databases only, not for a cluster of its own.
// Exit 77 if PostgreSQL is not installed (the tests then skip too).
#include "postgres.hpp"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
        std::fprintf(stderr, "usage: shensu-test-postgres start|stop DIR\n");
        return 2;
    }
    try {
        if (std::string(argv[1]) == "start")
            shensu::testing::PostgresCluster::startDetached(argv[2]);
        else
            shensu::testing::PostgresCluster::stopDetached(argv[2]);
        return 0;
    } catch (const shensu::testing::PostgresUnavailable& e) {
        std::fprintf(stderr, "SKIP: %s\n", e.what());
        return 77;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "shensu-test-postgres: %s\n", e.what());
        return 1;
    }
}
