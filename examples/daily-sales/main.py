# spark-dispatch-example: args=3
"""Daily sales roll-up: reads one day of raw orders, writes revenue per store and product.

Usage: main.py ORDERS_PATH OUTPUT_PATH DATE
Shows py-files: the transformation lives in sales_lib (shipped as a .zip through pyFiles) so
it can be unit-tested without Spark on a cluster.

The first line tells the local stack's simulated driver (which runs no Python) how many
arguments this script takes: with any other number it fails as this script does, exit code 2.
"""
import sys

from pyspark.sql import SparkSession

from sales_lib.rollup import daily_revenue


def main(argv):
    if len(argv) != 3:
        print("usage: main.py ORDERS_PATH OUTPUT_PATH DATE", file=sys.stderr)
        return 2
    orders_path, output_path, day = argv
    spark = SparkSession.builder.appName(f"daily-sales-{day}").getOrCreate()
    try:
        orders = spark.read.parquet(orders_path)
        result = daily_revenue(orders, day)
        result.write.mode("overwrite").partitionBy("store_id").parquet(f"{output_path.rstrip('/')}/date={day}")
        print(f"wrote {result.count()} rows for {day}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
