// CppUnit runner: runs every registered suite (or those named on the command
// line) and ends with the line "unit: N passed, N failed" that the test
// command sums.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

int main(int argc, char** argv) {
    CppUnit::TestResult controller;
    CppUnit::TestResultCollector collector;
    controller.addListener(&collector);
    CppUnit::BriefTestProgressListener progress;
    controller.addListener(&progress);

    CppUnit::TestRunner runner;
    runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
    if (argc > 1) {
        for (int i = 1; i < argc; ++i) runner.run(controller, argv[i]);
    } else {
        runner.run(controller);
    }
    CppUnit::CompilerOutputter(&collector, std::cerr).write();
    int run = collector.runTests();
    int failed = collector.testFailuresTotal();
    std::cout << "unit: " << (run - failed) << " passed, " << failed << " failed" << std::endl;
    return collector.wasSuccessful() ? 0 : 1;
}
