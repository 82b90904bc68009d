"""Kafka requests aiokafka lacks, built on its protocol classes."""
