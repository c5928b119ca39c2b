# spark-dispatch-example: args=2
"""Word count over text files in ADLS Gen2: the hello-world of spark-dispatch.

Usage (as the driver receives it): main.py INPUT_PATH OUTPUT_PATH
Both paths are abfss:// URIs; the driver authenticates with workload identity, so no key or
SAS token appears anywhere in the job. The arguments come from job.yaml beside this script when
it is uploaded, or from the args of a job spec (spec.yaml).

The first line tells the local stack's simulated driver (which runs no Python) how many
arguments this script takes: with any other number it fails as this script does, exit code 2.
"""
import sys
from operator import add

from pyspark.sql import SparkSession


def count_words(spark, input_path):
    lines = spark.read.text(input_path).rdd.map(lambda row: row[0])
    return (
        lines.flatMap(lambda line: line.split())
        .map(lambda word: (word.strip(".,;:!?\"'()[]").lower(), 1))
        .filter(lambda pair: pair[0] != "")
        .reduceByKey(add)
    )


def main(argv):
    if len(argv) != 2:
        print("usage: main.py INPUT_PATH OUTPUT_PATH", file=sys.stderr)
        return 2
    input_path, output_path = argv
    spark = SparkSession.builder.appName("wordcount").getOrCreate()
    try:
        counts = spark.createDataFrame(count_words(spark, input_path), ["word", "count"])
        counts.orderBy("count", ascending=False).write.mode("overwrite").parquet(output_path)
        for row in counts.orderBy("count", ascending=False).limit(10).collect():
            print(f"{row['word']}\t{row['count']}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
