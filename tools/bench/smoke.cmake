# SPDX-License-Identifier: BSD-2-Clause
# The bench smoke test (CTest bench_quick): run `tzchan-bench --quick` with --json and --plot, then check that the
# table has its sections, that the JSON parses, and that the SVG was written. Speed is never judged here.
execute_process(COMMAND ${BENCH} --quick --json ${OUT}.json --plot ${OUT}.svg
  OUTPUT_VARIABLE table ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 280)
file(WRITE ${OUT}.txt "${table}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tzchan-bench --quick failed (${rc}):\n${err}\n${table}")
endif()
foreach(want "throughput between threads" "throughput between processes" "ratios between" "round trip"
        "doorbells" "lanes" "targets")
  string(FIND "${table}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "table lacks \"${want}\":\n${table}")
  endif()
endforeach()
execute_process(COMMAND ${CHECK} ${OUT}.json RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "invalid JSON from tzchan-bench --json: ${out}")
endif()
if(NOT EXISTS ${OUT}.svg)
  message(FATAL_ERROR "tzchan-bench --plot wrote no file")
endif()
message(STATUS "${table}")
