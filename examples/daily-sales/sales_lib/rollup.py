from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def daily_revenue(orders: DataFrame, day: str) -> DataFrame:
    """Revenue, order count and units per store and product for one day (YYYY-MM-DD)."""
    return (
        orders.where(F.to_date("ordered_at") == F.lit(day))
        .where(F.col("status") != "cancelled")
        .groupBy("store_id", "product_id")
        .agg(
            F.sum(F.col("unit_price") * F.col("quantity")).alias("revenue"),
            F.countDistinct("order_id").alias("orders"),
            F.sum("quantity").alias("units"),
        )
    )
